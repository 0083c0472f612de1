"""The outcomes step's public face: what its routes, its command line, its demo, other
steps and the tests call. Sections by part of the step; each part adds its own."""

from __future__ import annotations

# --- the registry: projection, exits, cohort, synthetic registry (H2) -----------------
from respira.outcomes.exits import (
    EXIT_READ_ROLES,
    EXIT_WRITE_ROLES,
    get_exit,
    has_treated_course,
    list_exits,
    record_exit,
    retract_exit,
)
from respira.outcomes.projection import project_course, project_patient, refresh
from respira.outcomes.registry import (
    MEASURES,
    STATES,
    CohortArrays,
    CohortFilter,
    WindowArrays,
    filter_options,
    load_cohort,
)
from respira.outcomes.synthetic import SyntheticCounts, generate, has_patients

__all__ = [
    "EXIT_READ_ROLES",
    "EXIT_WRITE_ROLES",
    "MEASURES",
    "STATES",
    "CohortArrays",
    "CohortFilter",
    "SyntheticCounts",
    "WindowArrays",
    "filter_options",
    "generate",
    "get_exit",
    "has_patients",
    "has_treated_course",
    "list_exits",
    "load_cohort",
    "project_course",
    "project_patient",
    "record_exit",
    "refresh",
    "retract_exit",
]
