"""Screening: eligibility criteria as versioned data, their evaluation against the
patient's record, diagnostics and screening findings (met / not met / unknown with
evidence), and the physician's e-signed decision, which is never edited, only
superseded."""
