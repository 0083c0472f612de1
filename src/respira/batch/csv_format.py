"""The file format of ``respira spirometry interpret``: the columns it reads and writes,
the decimals it writes, its errors and its summary (see ``spirometry_csv`` for how
it reads and writes fast and exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from respira.science.spirometry import PARAMETERS, SUMMARY_FIELDS

REQUIRED_COLUMNS: Final = ("id", "sex", "age", "height_cm", "fev1", "fvc")
OPTIONAL_COLUMNS: Final = ("ethnicity", "fev1_post", "fvc_post", "fef2575", "fef75")
#: CSV column → argument of interpret_arrays (also the field name in messages).
NUMERIC_COLUMNS: Final = {
    "age": "age",
    "height_cm": "height_cm",
    "fev1": "fev1_pre_l",
    "fvc": "fvc_pre_l",
    "fev1_post": "fev1_post_l",
    "fvc_post": "fvc_post_l",
    "fef2575": "fef2575_pre_l_s",
    "fef75": "fef75_pre_l_s",
}
OUTPUT_COLUMNS: Final = (
    *(f"{p}_{f}" for p in PARAMETERS for f in ("pred", "lln", "uln", "z", "pctpred")),
    *SUMMARY_FIELDS,
    "error",
)
CHUNK_ROWS: Final = 65536
DECIMALS: Final = 10


class CsvInputError(Exception):
    """The file cannot be processed at all (unreadable, no header, missing column)."""


@dataclass
class CsvSummary:
    rows: int = 0
    rows_with_errors: int = 0
    first_errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    equations_version: str = ""
