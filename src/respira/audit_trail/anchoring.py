"""The audit trail's periodic job: appending the chain's head to the anchor file outside
the database (``respira.kit.audit.anchor_job``)."""

from respira.kit.audit import anchor_job

__all__ = ["anchor_job"]
