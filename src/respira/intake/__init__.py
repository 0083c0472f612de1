"""Consultation and call-back requests: the public form, its abuse resistance, the
coordinators' triage queue and the conversion of a request into a patient."""
