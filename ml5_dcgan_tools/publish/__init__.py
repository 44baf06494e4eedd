"""Publishing: a validated bundle into a model hosting repository, with its model card, its
catalog and gallery; the audit that re-checks a hosting repository, and unpublishing.

    from ml5_dcgan_tools.publish import publish_bundle, audit_repository
"""

from __future__ import annotations

from .audit import AuditReport, audit_repository
from .publisher import ModelFacts, Publication, hosted_url, publish_bundle
from .unpublish import unpublish_model

__all__ = ["AuditReport", "ModelFacts", "Publication", "audit_repository", "hosted_url",
           "publish_bundle", "unpublish_model"]
