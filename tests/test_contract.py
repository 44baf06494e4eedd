"""The contract round trip, layer by layer: what the exporter writes, the TensorFlow-free reader
parses (shapes and weights) and the validator rebuilds in Keras to the same numbers."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

from ml5_dcgan_tools import contract
from ml5_dcgan_tools.export.layers_format import model_topology, translate_model
from ml5_dcgan_tools.tfjs_model import parse_model_json
from ml5_dcgan_tools.validation.keras_rebuild import python_outputs

pytestmark = pytest.mark.slow
LATENT = 8


def _image(x):
    return layers.Reshape((4, 4, 2))(layers.Dense(32)(x))


def _model(build) -> keras.Model:
    inputs = keras.Input((LATENT,))
    return keras.Model(inputs, build(inputs))


ONE_MODEL_PER_LAYER = {
    "InputLayer": lambda x: layers.Dense(4)(x),
    "Dense": lambda x: layers.Dense(6, activation="softsign")(x),
    "Conv2D": lambda x: layers.Conv2D(3, 3, padding="same")(_image(x)),
    "Conv2DTranspose": lambda x: layers.Conv2DTranspose(3, 4, strides=2, padding="same")(
        _image(x)),
    "BatchNormalization": lambda x: layers.BatchNormalization()(_image(x)),
    "LayerNormalization": lambda x: layers.LayerNormalization()(_image(x)),
    "ReLU": lambda x: layers.ReLU(max_value=0.5)(_image(x)),
    "LeakyReLU": lambda x: layers.LeakyReLU(negative_slope=0.2)(_image(x)),
    "Activation": lambda x: layers.Activation("elu")(_image(x)),
    "UpSampling2D": lambda x: layers.UpSampling2D()(_image(x)),
    "Dropout": lambda x: layers.Dropout(0.5)(_image(x)),
    "Reshape": lambda x: layers.Reshape((2, 4))(x),
    "Permute": lambda x: layers.Permute((3, 1, 2))(_image(x)),
    "Flatten": lambda x: layers.Flatten()(_image(x)),
    "ZeroPadding2D": lambda x: layers.ZeroPadding2D(1)(_image(x)),
    "Cropping2D": lambda x: layers.Cropping2D(1)(_image(x)),
    "Add": lambda x: layers.Add()([_image(x), _image(x)]),
    "Concatenate": lambda x: layers.Concatenate()([_image(x), _image(x)]),
}


def test_every_contract_layer_has_a_round_trip_case():
    assert set(ONE_MODEL_PER_LAYER) == contract.LAYER_CLASSES


@pytest.mark.parametrize("class_name", sorted(ONE_MODEL_PER_LAYER))
def test_export_read_and_rebuild_agree_on_the_layer(class_name):
    keras.utils.set_random_seed(1)
    model = _model(ONE_MODEL_PER_LAYER[class_name])
    for layer in model.layers:  # non-trivial BatchNormalization statistics
        if isinstance(layer, layers.BatchNormalization):
            layer.moving_mean.assign(np.full(layer.moving_mean.shape, 0.3, "float32"))
            layer.moving_variance.assign(np.full(layer.moving_variance.shape, 2.0, "float32"))
    translated = translate_model(model)
    assert class_name in {layer.class_name for layer in translated}
    document = {"modelTopology": model_topology(translated, model.name, keras.__version__),
                "weightsManifest": []}
    parsed = parse_model_json(document)
    assert parsed.output_shape[1:] == tuple(model.output_shape[1:])
    weights = {f"{layer.name}/{variable.name}": np.asarray(variable)
               for layer in model.layers for variable in layer.weights}
    assert {spec.name for spec in parsed.expected_weights} == set(weights)
    latents = np.random.default_rng(0).standard_normal((2, LATENT)).astype("float32")
    expected = np.asarray(model(latents, training=False))
    np.testing.assert_allclose(python_outputs(parsed, weights, latents), expected, atol=1e-5)
