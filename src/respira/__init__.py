"""Respira: runs a regenerative-medicine clinic's MSC programme for asthma, from the
first consultation request to the outcome report, and reports honestly what it achieves."""

__version__ = "0.1.0"
