"""Imports every module that defines tables, so that ``Base.metadata`` is complete
(for Alembic, for the test that models and migrations agree, and for tools)."""

from respira import audit  # noqa: F401
from respira.auth import models as auth_models  # noqa: F401
from respira.db import Base
from respira.diagnostics import models as diagnostics_models  # noqa: F401
from respira.intake import models as intake_models  # noqa: F401
from respira.patients import models as patient_models  # noqa: F401
from respira.screening import models as screening_models  # noqa: F401

metadata = Base.metadata
