"""Shared pieces of the outcome statistics: the interval type, the input error and the
conversion of caller values (lists with ``None``, NumPy arrays) to float arrays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import stats

#: A two-sided interval ``(low, high)``.
Interval: TypeAlias = tuple[float, float]

#: What the functions take as a column of values: an array, or a sequence in which None
#: marks a missing value.
Values: TypeAlias = npt.ArrayLike | Sequence[float | None]

#: Normal quantile of a two-sided 95 % interval.
Z95: float = float(stats.norm.ppf(0.975))


class OutcomeInputError(ValueError):
    """Input the statistics cannot use (not numbers, wrong shape, impossible values);
    ``field`` names the argument at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def as_float_array(values: Values, field: str) -> npt.NDArray[np.float64]:
    """``values`` as a one-dimensional float array; ``None`` becomes NaN."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise OutcomeInputError("must hold numbers (or None for missing)", field=field) from error
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise OutcomeInputError(f"must be one-dimensional, got shape {array.shape}", field=field)
    return array


def same_length(arrays: dict[str, npt.NDArray[Any]]) -> None:
    """Raise unless every array has the length of the first."""
    names = list(arrays)
    first = len(arrays[names[0]])
    for name in names[1:]:
        if len(arrays[name]) != first:
            raise OutcomeInputError(
                f"has {len(arrays[name])} values but {names[0]} has {first}", field=name
            )


def interval(low: float, high: float) -> Interval:
    return (float(low), float(high))
