"""Diagnostics: visits with spirometry and bronchodilator test, inflammation markers and
allergy, imaging, asthma-control questionnaires, and treatment and exacerbation history."""

from respira.kit.step import Section, Step

STEP = Step(
    name="diagnostics",
    package=__name__,
    sections=(Section(30, "diagnostics/_patient_section.html", "pages:patient_section"),),
    worklists=("worklist:items",),
)
