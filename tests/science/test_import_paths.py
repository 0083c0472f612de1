"""The science package was split into modules (tables, kernels, reference; checks, bdr,
pattern, results, interpretation); every name that code outside the science imports
stays importable from the path it uses."""

from __future__ import annotations

import importlib

import pytest

from respira.science import spirometry

OUTSIDE_IMPORTS = {
    "respira.science.spirometry.reference": [
        "reference_values",  # diagnostics demo
        "_lms",  # bench/spirometry.py
        "_cpu_has_avx2_fma",
        "use_backend",
        "backend",  # setup.py names it
    ],
    "respira.science.spirometry.interpretation": [
        "interpret_session",  # diagnostics service
        "interpret_arrays",  # batch CSV
        "BatchInterpretation",
        "BDR_RULES",
        "PATTERNS",
        "SEVERITIES",
        "FEV1_OVER_FVC_TOLERANCE_L",
    ],
    "respira.science.spirometry.errors": ["SpirometryInputError", "OutOfRangeError"],
}


@pytest.mark.parametrize("module", sorted(OUTSIDE_IMPORTS))
def test_names_imported_outside_the_science_stay_importable(module: str) -> None:
    loaded = importlib.import_module(module)
    for name in OUTSIDE_IMPORTS[module]:
        assert hasattr(loaded, name), f"{module}.{name}"


def test_the_package_exports_every_name_in_its_all() -> None:
    for name in spirometry.__all__:
        assert getattr(spirometry, name) is not None, name
    assert spirometry.reference.use_backend is spirometry.kernels.use_backend
