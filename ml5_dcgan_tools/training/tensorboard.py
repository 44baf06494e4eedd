"""TensorBoard event files without the tensorboard package (TensorFlow no longer pulls it in):
scalars and images written with TensorFlow's core summary op and the plugins' metadata."""

from __future__ import annotations

import io
from pathlib import Path

import tensorflow as tf
from PIL import Image
from tensorflow.core.framework import summary_pb2


def _metadata(plugin: str) -> summary_pb2.SummaryMetadata:
    return summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=plugin))


class EventWriter:
    """`tensorboard --logdir RUN/tensorboard` shows the losses and the sample grids."""

    def __init__(self, folder: Path) -> None:
        self.writer = tf.summary.create_file_writer(str(folder))

    def scalars(self, step: int, values: dict[str, float]) -> None:
        with self.writer.as_default():
            for name, value in values.items():
                tf.summary.write(name, tf.constant(value, tf.float32), step=step,
                                 metadata=_metadata("scalars"))

    def image(self, step: int, name: str, image: Image.Image) -> None:
        png = io.BytesIO()
        image.save(png, "PNG")
        with self.writer.as_default():
            tf.summary.write(name, tf.constant([str(image.width), str(image.height),
                                                png.getvalue()]),
                             step=step, metadata=_metadata("images"))

    def flush(self) -> None:
        self.writer.flush()
