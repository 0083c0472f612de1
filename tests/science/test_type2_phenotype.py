"""Type-2 phenotype: each label at and around its thresholds, missing data never
giving type-2-low, the deciding checks, and the FeNO bands by age."""

from __future__ import annotations

from typing import Any

import pytest

from respira.science.phenotype import (
    PHENOTYPES,
    AllergenTest,
    PhenotypeInputError,
    classify_phenotype,
    feno_band,
)

POSITIVE = [AllergenTest("house dust mite", True), AllergenTest("cat", False)]
NEGATIVE = [AllergenTest("house dust mite", False), AllergenTest("grass pollen", False)]


def _phenotype(**overrides: Any) -> Any:
    kwargs: dict[str, Any] = {
        "age_years": 40.0,
        "blood_eosinophils_per_ul": 100.0,
        "feno_ppb": 15.0,
        "sensitisations": NEGATIVE,
    }
    kwargs.update(overrides)
    return classify_phenotype(**kwargs)


def test_eosinophilic_from_300_cells_per_ul() -> None:
    assert _phenotype(blood_eosinophils_per_ul=300.0).label == "eosinophilic"
    assert _phenotype(blood_eosinophils_per_ul=299.0).label == "type-2-high-unclassified"


def test_eosinophilic_from_150_cells_per_ul_on_maintenance_ocs() -> None:
    p = _phenotype(blood_eosinophils_per_ul=150.0, on_maintenance_ocs=True)
    assert p.label == "eosinophilic"
    assert p.checks[0].threshold.startswith(">= 150") and p.checks[0].met is True
    on_ocs_low = _phenotype(blood_eosinophils_per_ul=149.0, on_maintenance_ocs=True)
    assert on_ocs_low.label == "type-2-high-unclassified"  # OCS itself is a T2 signal


def test_eosinophilic_from_sputum_eosinophils_of_2_percent() -> None:
    assert _phenotype(sputum_eosinophils_pct=2.0).label == "eosinophilic"
    assert _phenotype(sputum_eosinophils_pct=1.9).label == "type-2-low"


def test_allergic_when_sensitised_to_a_relevant_allergen() -> None:
    p = _phenotype(sensitisations=POSITIVE)
    assert p.label == "allergic"
    allergic = next(c for c in p.checks if c.name.startswith("allergic"))
    assert allergic.met is True and allergic.value == "house dust mite"


def test_allergic_eosinophilic_when_both_rules_are_met() -> None:
    p = _phenotype(sensitisations=POSITIVE, blood_eosinophils_per_ul=450.0)
    assert p.label == "allergic-eosinophilic"


def test_total_ige_supports_but_never_decides() -> None:
    p = _phenotype(total_ige_iu_ml=1200.0)
    assert p.label == "type-2-low"
    ige = next(c for c in p.checks if "IgE" in c.name)
    assert ige.value == 1200.0 and ige.met is None


@pytest.mark.parametrize(
    ("overrides", "label"),
    [
        ({"blood_eosinophils_per_ul": 150.0}, "type-2-high-unclassified"),
        ({"blood_eosinophils_per_ul": 149.0}, "type-2-low"),
        ({"feno_ppb": 20.0}, "type-2-high-unclassified"),
        ({"feno_ppb": 19.9}, "type-2-low"),
        ({"on_maintenance_ocs": True}, "type-2-high-unclassified"),
    ],
)
def test_type2_signals_without_a_rule_are_unclassified_not_type2_low(
    overrides: dict[str, Any], label: str
) -> None:
    assert _phenotype(**overrides).label == label


def test_type2_low_needs_every_marker_and_carries_the_gina_repeat_note() -> None:
    p = _phenotype()
    assert p.label == "type-2-low" and p.missing == ()
    assert any("3 times" in note for note in p.notes)


@pytest.mark.parametrize("missing", ["blood_eosinophils_per_ul", "feno_ppb", "sensitisations"])
def test_missing_markers_give_indeterminate_never_type2_low(missing: str) -> None:
    p = _phenotype(**{missing: None})
    assert p.label == "indeterminate"
    assert p.missing == (missing,)


def test_on_a_biologic_low_markers_are_indeterminate() -> None:
    p = _phenotype(on_biologic=True)
    assert p.label == "indeterminate" and "biologic" in p.notes[0]


def test_a_met_rule_labels_even_with_missing_inputs_which_are_listed() -> None:
    p = _phenotype(blood_eosinophils_per_ul=400.0, sensitisations=None, feno_ppb=None)
    assert p.label == "eosinophilic"
    assert p.missing == ("feno_ppb", "sensitisations")
    assert any("could refine" in note for note in p.notes)


def test_every_deciding_threshold_is_reported_with_value_and_outcome() -> None:
    p = _phenotype(blood_eosinophils_per_ul=320.0, feno_ppb=42.0, sensitisations=POSITIVE)
    detail = p.as_dict()
    assert detail["label"] == "allergic-eosinophilic"
    names = [c["name"] for c in detail["checks"]]
    assert "eosinophilic: blood eosinophils" in names
    assert "type-2 signal: FeNO" in names
    feno = next(c for c in detail["checks"] if c["name"] == "type-2 signal: FeNO")
    assert feno == {
        "name": "type-2 signal: FeNO",
        "value": 42.0,
        "threshold": ">= 20 ppb",
        "met": True,
    }
    assert detail["feno_band"] == "intermediate" and detail["version"]
    assert set(PHENOTYPES) >= {p.label}


@pytest.mark.parametrize(
    ("feno", "age", "band"),
    [
        (24.9, 12.0, "low"),
        (25.0, 12.0, "intermediate"),
        (50.0, 40.0, "intermediate"),
        (50.1, 40.0, "high"),
        (19.9, 11.99, "low"),
        (20.0, 11.99, "intermediate"),
        (35.0, 8.0, "intermediate"),
        (35.1, 8.0, "high"),
        (30.0, 11.99, "intermediate"),
        (30.0, 12.0, "intermediate"),
        (40.0, 11.99, "high"),
        (40.0, 12.0, "intermediate"),
    ],
)
def test_feno_bands_use_child_cutoffs_below_12_years(feno: float, age: float, band: str) -> None:
    assert feno_band(feno, age) == band


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"blood_eosinophils_per_ul": -5.0}, "blood_eosinophils_per_ul"),
        ({"feno_ppb": "high"}, "feno_ppb"),
        ({"feno_ppb": True}, "feno_ppb"),
        ({"total_ige_iu_ml": -1}, "total_ige_iu_ml"),
        ({"age_years": None}, "age_years"),
        ({"on_maintenance_ocs": "yes"}, "on_maintenance_ocs"),
        ({"sensitisations": [AllergenTest("cat", "yes")]}, "sensitisations"),  # type: ignore[arg-type]
    ],
)
def test_impossible_marker_values_raise_naming_the_field(
    overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(PhenotypeInputError) as info:
        _phenotype(**overrides)
    assert info.value.field == field and isinstance(info.value, ValueError)
