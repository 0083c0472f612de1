"""The demo clinic's outcome registry: the courses the demo treated are projected, one
patient has left follow-up, and a synthetic history stands beside them, so that the
report shows real figures, missing data and, for a narrow filter, suppression."""

from __future__ import annotations

import sqlalchemy as sa

from respira.app import demo
from respira.followup import service as followup
from respira.kit import audit
from respira.kit.db import Database
from respira.outcomes.models import OutcomeCourse, OutcomeExit
from respira.outcomes.registry import CohortFilter, load_cohort


def test_the_demo_registry_holds_the_treated_courses_an_exit_and_a_synthetic_history(
    db: Database,
) -> None:
    result = demo.seed(db, patients=30)
    assert result is not None
    assert result.counts["registry exits"] == 1
    today = followup.clinic_today()
    with db.session() as s:
        treated = followup.scheduled_course_ids(s)
        clinic_rows = s.scalars(
            sa.select(OutcomeCourse.course_id).where(OutcomeCourse.origin == "clinic")
        ).all()
        (leaving,) = s.scalars(
            sa.select(OutcomeExit).where(
                OutcomeExit.recorded_by_name != "Synthetic registry (respira demo registry)"
            )
        ).all()
        everyone = load_cohort(s, CohortFilter(), today)
        clinic_only = load_cohort(s, CohortFilter(include_synthetic=False), today)
        narrow = load_cohort(s, CohortFilter(sex="male", gina_step=3), today)
        assert audit.verify_chain(s).ok
    assert (
        sorted(clinic_rows) == sorted(treated)
        and len(treated) == result.counts["treated courses in the outcome registry"]
    )
    assert leaving.kind == "lost" and "lost" in set(clinic_only.exit_kind)
    assert everyone.n_synthetic == result.counts["synthetic registry courses"] >= 60
    assert everyone.n_treated == everyone.n_synthetic + clinic_only.n_treated
    # Missing data at every window, and a filter small enough to be suppressed.
    assert all(w.counts["missed"] > 0 for w in everyone.windows.values())
    assert 0 < narrow.n_treated < 10
