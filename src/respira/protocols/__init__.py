"""Protocol: the physician's treatment course for an eligible patient — cell source, IV
infusions with dose per kg and absolute cells, nebulised doses, supporting modalities,
premedication and a day-by-day schedule — checked against the programme's limits
(versioned data), approved with an e-signature, revised into new versions and repeated
as numbered courses (clinical.md §5.3–5.4)."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step

STEP = Step(
    name="protocols",
    package=__name__,
    sections=(Section(50, "protocols/_section.html", "pages:patient_section"),),
    nav=(Nav(N_("Programme limits"), "/programme-limits", frozenset({Role.ADMIN}), 65),),
)
