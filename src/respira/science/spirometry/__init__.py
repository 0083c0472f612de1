"""Spirometry: GLI reference values and ATS/ERS 2022 interpretation.

See :mod:`respira.science.spirometry.reference` for the GLI-2012 (Quanjer 2012) and
GLI Global (Bowerman 2023) equations and :mod:`respira.science.spirometry.interpretation`
for patterns, severity, bronchodilator responsiveness and input checks (Stanojevic
2022; Pellegrino 2005 for the legacy BDR rule).
"""

from respira.science.spirometry.errors import OutOfRangeError, SpirometryInputError
from respira.science.spirometry.interpretation import (
    BDR_RULES,
    PATTERNS,
    SEVERITIES,
    BatchInterpretation,
    ParameterResult,
    SessionInterpretation,
    bdr_2005,
    bdr_2022,
    classify_pattern,
    grade_severity,
    interpret_arrays,
    interpret_session,
)
from respira.science.spirometry.reference import (
    EQUATIONS,
    ETHNICITIES,
    HEIGHT_RANGE_CM,
    PARAMETERS,
    SEXES,
    Z_LIMIT,
    PreparedReference,
    ReferenceResult,
    age_range,
    equations_version,
    parameters_for,
    prepare_reference,
    reference_values,
)

__all__ = [
    "BDR_RULES",
    "EQUATIONS",
    "ETHNICITIES",
    "HEIGHT_RANGE_CM",
    "PARAMETERS",
    "PATTERNS",
    "SEVERITIES",
    "SEXES",
    "Z_LIMIT",
    "BatchInterpretation",
    "OutOfRangeError",
    "ParameterResult",
    "PreparedReference",
    "ReferenceResult",
    "SessionInterpretation",
    "SpirometryInputError",
    "age_range",
    "bdr_2005",
    "bdr_2022",
    "classify_pattern",
    "equations_version",
    "grade_severity",
    "interpret_arrays",
    "interpret_session",
    "parameters_for",
    "prepare_reference",
    "reference_values",
]
