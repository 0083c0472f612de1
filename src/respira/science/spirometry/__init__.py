"""Spirometry: GLI reference values and ATS/ERS 2022 interpretation.

GLI-2012 (Quanjer 2012) and GLI Global (Bowerman 2023) reference values:
:mod:`~respira.science.spirometry.reference` (the API), with the equation tables in
:mod:`~respira.science.spirometry.tables` and the LMS kernels in
:mod:`~respira.science.spirometry.kernels`. Interpretation (Stanojevic 2022; Pellegrino
2005 for the legacy BDR rule): :mod:`~respira.science.spirometry.interpretation` for a
session or a batch, built from the rules in :mod:`~respira.science.spirometry.pattern`
(pattern, severity), :mod:`~respira.science.spirometry.bdr` (bronchodilator
responsiveness), :mod:`~respira.science.spirometry.checks` (input checks) and
:mod:`~respira.science.spirometry.limits` (the limits of normal). Every clinical rule
has one home here; code outside the science calls these functions instead of
re-coding a rule.
"""

from respira.science.spirometry.bdr import BDR_RULES, bdr_2005, bdr_2022
from respira.science.spirometry.checks import (
    FEV1_OVER_FVC_TOLERANCE_L,
    TOLERANCE_FEV1_OVER_FVC_L,
    fev1_exceeds_fvc,
    missing_pair_partner,
    session_problems,
)
from respira.science.spirometry.errors import OutOfRangeError, SpirometryInputError
from respira.science.spirometry.interpretation import (
    BatchInterpretation,
    ParameterResult,
    SessionInterpretation,
    interpret_arrays,
    interpret_session,
)
from respira.science.spirometry.limits import (
    Z_LIMIT,
    Z_LLN,
    Z_ULN,
    NormalLimitFlag,
    above_uln,
    below_lln,
    normal_limit_flag,
)
from respira.science.spirometry.pattern import (
    PATTERNS,
    SEVERITIES,
    classify_pattern,
    grade_severity,
)
from respira.science.spirometry.reference import (
    PreparedReference,
    ReferenceResult,
    prepare_reference,
    reference_values,
)
from respira.science.spirometry.results import SUMMARY_FIELDS
from respira.science.spirometry.tables import (
    EQUATIONS,
    ETHNICITIES,
    HEIGHT_RANGE_CM,
    PARAMETERS,
    SEXES,
    age_range,
    equations_version,
    parameters_for,
    requires_ethnicity,
    sex_code,
    takes_ethnicity,
)

__all__ = [
    "BDR_RULES",
    "EQUATIONS",
    "ETHNICITIES",
    "FEV1_OVER_FVC_TOLERANCE_L",
    "HEIGHT_RANGE_CM",
    "PARAMETERS",
    "PATTERNS",
    "SEVERITIES",
    "SEXES",
    "SUMMARY_FIELDS",
    "TOLERANCE_FEV1_OVER_FVC_L",
    "Z_LIMIT",
    "Z_LLN",
    "Z_ULN",
    "BatchInterpretation",
    "NormalLimitFlag",
    "OutOfRangeError",
    "ParameterResult",
    "PreparedReference",
    "ReferenceResult",
    "SessionInterpretation",
    "SpirometryInputError",
    "above_uln",
    "age_range",
    "bdr_2005",
    "bdr_2022",
    "below_lln",
    "classify_pattern",
    "equations_version",
    "fev1_exceeds_fvc",
    "grade_severity",
    "interpret_arrays",
    "interpret_session",
    "missing_pair_partner",
    "normal_limit_flag",
    "parameters_for",
    "prepare_reference",
    "reference_values",
    "requires_ethnicity",
    "session_problems",
    "sex_code",
    "takes_ethnicity",
]
