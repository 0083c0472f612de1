"""Spirometry: GLI reference values and ATS/ERS 2022 interpretation.

See :mod:`respira.science.spirometry.reference` for the GLI-2012 and GLI Global
equations and :mod:`respira.science.spirometry.interpretation` for patterns,
severity, bronchodilator responsiveness and input checks.
"""

from respira.science.spirometry.errors import OutOfRangeError, SpirometryInputError
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
    "EQUATIONS",
    "ETHNICITIES",
    "HEIGHT_RANGE_CM",
    "PARAMETERS",
    "SEXES",
    "Z_LIMIT",
    "OutOfRangeError",
    "PreparedReference",
    "ReferenceResult",
    "SpirometryInputError",
    "age_range",
    "equations_version",
    "parameters_for",
    "prepare_reference",
    "reference_values",
]
