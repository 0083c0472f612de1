"""Diagnostics: visits with spirometry and bronchodilator test, inflammation markers and
allergy, imaging, asthma-control questionnaires, and treatment and exacerbation history."""
