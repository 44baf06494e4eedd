"""The DCGAN networks, in Keras, and the precision they are built in."""

from .dcgan import (
    SIZES,
    build_discriminator,
    build_generator,
    count_parameters,
    keep_without_checkerboard,
    start_without_checkerboard,
)
from .precision import dtype_policy

__all__ = ["SIZES", "build_discriminator", "build_generator", "count_parameters", "dtype_policy",
           "keep_without_checkerboard", "start_without_checkerboard"]
