"""Publishing: a validated bundle into a model hosting repository, with its catalog.

    from ml5_dcgan_tools.publish import publish_bundle
"""

from __future__ import annotations

from .publisher import Publication, hosted_url, publish_bundle

__all__ = ["Publication", "hosted_url", "publish_bundle"]
