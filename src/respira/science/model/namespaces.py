"""The namespaces the generated equations are compiled against (see
:mod:`respira.science.model.definition`): plain floats for SciPy's right-hand side, and
NumPy arrays for vectorised use. Numba and JAX have theirs in their engine modules."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from respira.science.model import definition


def _where_scalar(condition: bool, a: float, b: float) -> float:
    return a if condition else b


def _clip_scalar(x: float, low: float, high: float) -> float:
    return min(max(x, low), high)


SCALAR: dict[str, Any] = {
    "exp": math.exp,
    "expm1": math.expm1,
    "sin": math.sin,
    "pi": math.pi,
    "where": _where_scalar,
    "maximum": max,
    "minimum": min,
    "clip": _clip_scalar,
}

NUMPY: dict[str, Any] = {
    "exp": np.exp,
    "expm1": np.expm1,
    "sin": np.sin,
    "pi": np.pi,
    "where": np.where,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "clip": np.clip,
}


@functools.cache
def scalar_functions() -> dict[str, Callable[..., Any]]:
    """The generated functions on Python floats (fastest for one patient)."""
    return definition.compile_functions(SCALAR)


@functools.cache
def numpy_functions() -> dict[str, Callable[..., Any]]:
    """The generated functions on NumPy arrays (a state row per patient axis)."""
    return definition.compile_functions(NUMPY)
