"""Use cases of the protocol step: the programme's limits (versioned data), drafting a
treatment course for an eligible patient, the second physician's override of a limit,
approving a course with an e-signature, revising an approved course into a new version
that supersedes it, repeat courses, and what the ward and the other steps read. The use
cases live in

- ``respira.protocols.limits`` — the programme's limits (versions, the checks of a plan
  against them, the second physician's override);
- ``respira.protocols.checks`` — the eligibility gate and the plan's other rules (the
  harvest and its tissue, the start date, one stay at a time, the infusion chairs);
- ``respira.protocols.planning`` — drafting, revising and repeating a course;
- ``respira.protocols.approval`` — approving with an e-signature, supersession, the
  medication at approval;
- ``respira.protocols.reads`` — reading courses, the ward's board, the schedule,
  ``changes_from_previous``;

and who may do what in ``respira.protocols.roles``. Callers outside the step (its routes,
its demo, other steps, tests) write ``service.X``.

Clinical sources (``/work/shared/reference/clinical.md`` §5):

- Doses: the default limits of 0.5–3.0 ×10^6 cells/kg per IV infusion bracket the IV
  doses of the lung-disease trials in §5.3 (1–2 ×10^6/kg typical; a flat 100 ×10^6 is
  ≈1.3–1.5 ×10^6/kg at 70 kg). §5.3 "Dose normalisation": store both the absolute cell
  count and the cells/kg, with the weight used and its date — every infusion keeps its
  ``cells_total`` = round(dose × 10^6 × weight) next to the dose, and the course the
  weight and its date.
- Autologous lead times, §5.4: bone marrow "≈3–6 weeks of culture + ≥7–14 days
  sterility → plan 4–8 weeks from harvest to infusion" (default 28 days, the lower
  end); adipose "≈2–4 weeks culture + release testing → 3–6 weeks" (default 21 days).
  Allogeneic cord cells come "from inventory; QC already done" (§5.4), so they have no
  lead time; the dose preparation takes them from a released lot.

Rules, each answering with a message that names the field and the rule:

- A course is drafted only for a patient whose latest signed screening decided
  ``eligible`` (signed "approved eligibility"); otherwise 409 naming why.
- The programme's limits are data with a version (``programme_limits``); outside a
  limit the answer is 422 naming the limit and its version, unless a second physician
  (another physician than the author) e-signs an override with a reason.
- An autologous course names the patient's own harvest of the matching tissue, and
  starts no sooner than the harvest date plus the tissue's lead time (422 with the
  earliest possible date).
- The infusion room has ``infusion_chairs_per_day`` chairs: a plan whose IV infusion
  would take a chair on a day when approved courses already take them all is refused
  (409 naming the days). Checked at drafting and again at approval, when the chairs
  are taken (approvals run one at a time: they lock the limits row in force).
- An approved course never changes: ``revise`` makes the next version as a draft, and
  approving it marks the approved one ``superseded``; a revised draft is superseded at
  once. ``changes_from_previous`` lists the differences field by field.
- The patient's regular asthma medication is recorded at approval from the newest
  treatment history in diagnostics ("not recorded" without one); the printout tells the
  patient to continue it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from respira.kit.actors import Actor, require_role
from respira.kit.patient_rows import rows_of_patients
from respira.patients import service as patients_service
from respira.protocols.approval import approve_course
from respira.protocols.checks import eligibility
from respira.protocols.limits import (
    DEFAULT_LIMITS,
    create_limits,
    current_limits,
    limits_in_force,
    list_limits,
)
from respira.protocols.models import APPROVAL_MEANING, OVERRIDE_MEANING, Course
from respira.protocols.planning import (
    cells_total,
    draft_course,
    other_physicians,
    patient_harvests,
    revise_course,
)
from respira.protocols.reads import (
    approved_courses_on,
    course_out,
    day_by_day,
    form_values,
    get_course,
    list_courses,
)
from respira.protocols.roles import (
    LIMITS_ADMIN_ROLES,
    LIMITS_READ_ROLES,
    READ_ROLES,
    WRITE_ROLES,
)
from respira.protocols.schemas import MODALITY_LABELS, SOURCE_LABELS, CourseOut

__all__ = [
    "APPROVAL_MEANING",
    "DEFAULT_LIMITS",
    "LIMITS_ADMIN_ROLES",
    "LIMITS_READ_ROLES",
    "MODALITY_LABELS",
    "OVERRIDE_MEANING",
    "READ_ROLES",
    "SOURCE_LABELS",
    "WRITE_ROLES",
    "approve_course",
    "approved_courses_on",
    "cells_total",
    "courses_of_patients",
    "create_limits",
    "current_limits",
    "day_by_day",
    "draft_course",
    "eligibility",
    "form_values",
    "get_course",
    "limits_in_force",
    "list_courses",
    "list_limits",
    "other_physicians",
    "patient_harvests",
    "revise_course",
]


def courses_of_patients(
    session: Session, actor: Actor, patient_ids: Sequence[int]
) -> dict[int, list[CourseOut]]:
    """``list_courses`` of each patient of a page of the registry (the FHIR export),
    newest number and version first: the courses of the page in one query (their
    infusions, nebulisations and supporting sessions load with them), for the
    registry's readers."""
    require_role(actor, patients_service.REGISTRY_ROLES)
    found = rows_of_patients(
        session, Course, patient_ids, Course.number.desc(), Course.version.desc()
    )
    return {pid: [course_out(session, row) for row in rows] for pid, rows in found.items()}
