"""The stay: admission for an approved course, the ward board of the day, the bedside
check of wristband and unit (go / no-go with the reasons), the administration record
with vital signs, operator and witness, supporting sessions, and discharge."""

from respira.kit.actors import CARE_TEAM_ROLES
from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step

STEP = Step(
    name="treatment",
    package=__name__,
    sections=(Section(60, "treatment/_section.html", "pages:patient_section"),),
    nav=(Nav(N_("Ward"), "/ward", CARE_TEAM_ROLES, 55),),
    worklists=("worklist:items",),
)
