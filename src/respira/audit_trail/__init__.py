"""The audit trail for people: the chain's records as readable changes, filtered and
paged, through the API and on a page, with a CSV export, for admins; and who read a
patient's record (access records), for the patient and for admins. The chain itself
and e-signatures are the kit's (``respira.kit.audit``)."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Job, Nav, Section, Step

STEP = Step(
    name="audit_trail",
    package=__name__,
    models=("models",),
    demo=None,
    routers=("routes:api", "routes:pages"),
    nav=(Nav(N_("Audit trail"), "/audit", frozenset({Role.ADMIN}), 95),),
    sections=(Section(95, "audit/_access_section.html", "routes:access_section"),),
    jobs=(Job("audit_trail.link_patients", "links:catch_up", every_s=10),),
    worklists=("worklist:items",),
    # Every staff read of a patient's record, noted by the kit's hook (kit.web.reads).
    provides={"patient_reads": "access:note_read"},
)
