"""Safety: adverse events graded with CTCAE, seriousness, expectedness and causality,
serious-event alerts and reports, the on-call roster, and the safety views."""

from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step
from respira.safety.roles import OVERVIEW_ROLES

STEP = Step(
    name="safety",
    package=__name__,
    routers=("api:router", "pages:router", "overview_pages:router"),
    sections=(Section(65, "safety/_section.html", "pages:patient_section"),),
    nav=(Nav(N_("Safety"), "/safety", OVERVIEW_ROLES, 57),),
    banners=("banners:serious_events",),
)
