"""The DCGAN networks: a generator the exporter accepts, and the discriminator that trains it."""

from .dcgan import SIZES, build_discriminator, build_generator, count_parameters

__all__ = ["SIZES", "build_discriminator", "build_generator", "count_parameters"]
