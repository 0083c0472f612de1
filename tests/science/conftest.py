"""Fixtures for the science tests.

``gli_decimal``: an independent, slow implementation of the GLI equations in 40-digit
decimal arithmetic, written from the tables' README (not from respira's code), the
ground truth of the property tests. ``gli_examples``: the 60 worked cases of
``data/gli_examples.csv`` (a copy of ``reference/gli/examples.csv``), computed
independently by the tables' publisher of this repository.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable
from decimal import Decimal, localcontext
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

ETH_INDEX = {"caucasian": 0, "african_american": 2, "ne_asian": 3, "se_asian": 4, "other": 5}
PREFIX = {"gli-2012": "gli2012", "gli-global": "gliglobal"}


@functools.cache
def _tables(equations: str) -> tuple[dict, dict]:
    data = resources.files("respira.science.spirometry").joinpath("data")
    prefix = PREFIX[equations]
    coef = {}
    with data.joinpath(f"{prefix}_coefficients.csv").open() as f:
        for row in csv.DictReader(f):
            key = ("M" if row["sex"] == "1" else "F", row["param"].lower())
            coef[key] = {k: Decimal(v) for k, v in row.items() if k not in ("sex", "param")}
    splines: dict = {}
    with data.joinpath(f"{prefix}_splines.csv").open() as f:
        for row in csv.DictReader(f):
            key = ("M" if row["sex"] == "1" else "F", row["param"].lower())
            splines.setdefault(key, {})[Decimal(row["age"])] = (
                Decimal(row["Lspline"]),
                Decimal(row["Mspline"]),
                Decimal(row["Sspline"]),
            )
    return coef, splines


def lms(equations: str, parameter: str, sex: str, age: float, ethnicity: str | None):
    """(L, S, ln M without the height term, a1) at an exact binary age, as Decimals."""
    coef, splines = _tables(equations)
    c = coef[(sex, parameter)]
    table = splines[(sex, parameter)]
    a = Decimal(age)
    a0 = (a * 4).to_integral_value(rounding="ROUND_FLOOR") / 4
    lower = table[a0]
    upper = table.get(a0 + Decimal("0.25"), lower)
    weight = (a - a0) / Decimal("0.25")
    l_s, m_s, s_s = (lo + (hi - lo) * weight for lo, hi in zip(lower, upper, strict=True))
    eth = [0, 0, 0, 0, 0, 0]
    if equations == "gli-2012":
        eth[ETH_INDEX[ethnicity or "caucasian"]] = 1
    ln_age = a.ln()
    a_eth = sum((c.get(f"a{k + 1}", Decimal(0)) * eth[k] for k in range(2, 6)), Decimal(0))
    p_eth = sum((c.get(f"p{k}", Decimal(0)) * eth[k] for k in range(2, 6)), Decimal(0))
    ln_m_wo_height = c["a0"] + c["a2"] * ln_age + a_eth + m_s
    s = (c["p0"] + c["p1"] * ln_age + p_eth + s_s).exp()
    lam = c["q0"] + c["q1"] * ln_age + l_s
    return lam, s, ln_m_wo_height, c["a1"]


def reference(
    equations: str,
    parameter: str,
    sex: str,
    age: float,
    height_cm: float,
    ethnicity: str | None,
    measured: float,
) -> dict[str, Decimal]:
    with localcontext() as ctx:
        ctx.prec = 40
        lam, s, ln_m0, a1 = lms(equations, parameter, sex, age, ethnicity)
        m = (ln_m0 + a1 * Decimal(height_cm).ln()).exp()
        x = Decimal(measured)
        u = Decimal("1.645") * lam * s
        if lam == 0:
            z = (x / m).ln() / s
            lln = m * (-Decimal("1.645") * s).exp()
            uln = m * (Decimal("1.645") * s).exp()
        else:
            z = (((x / m).ln() * lam).exp() - 1) / (lam * s)
            lln = m * ((1 - u).ln() / lam).exp()
            uln = m * ((1 + u).ln() / lam).exp()
        return {"pred": +m, "lln": +lln, "uln": +uln, "z": +z, "pctpred": 100 * x / m}


@pytest.fixture(scope="session")
def gli_decimal() -> Callable[..., dict[str, Decimal]]:
    return reference


@pytest.fixture(scope="session")
def gli_examples() -> list[dict[str, Any]]:
    path = Path(__file__).parent / "data" / "gli_examples.csv"
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def gli_lms() -> Callable[..., tuple[Decimal, Decimal, Decimal, Decimal]]:
    return lms


def _available_backends() -> list[str]:
    from respira.science.spirometry import kernels

    names = ["numpy"]
    if kernels._lms is not None and kernels._cpu_has_avx2_fma():
        names.insert(0, "c")
    return names


@pytest.fixture(params=_available_backends())
def spirometry_backend(request: pytest.FixtureRequest) -> Any:
    """Run the test once with each kernel this machine has (the vectorised C kernel
    and NumPy): both must meet every rule on their own."""
    from respira.science.spirometry.kernels import use_backend

    with use_backend(request.param):
        yield request.param
