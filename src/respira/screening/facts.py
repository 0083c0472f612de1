"""The facts a screening decides on, gathered from three places: the patient record
(age on the screening date, sex at birth, pack-years), the diagnostics snapshot
(``respira.diagnostics.snapshot.ClinicalSnapshot``) and the newest screening findings.

Every fact carries its date and the record it came from, so that each criterion's
evidence can name them. A question answered "unknown" or never asked is absent
(``None``): the engine reads that as unknown, never as "no".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from respira.diagnostics.service import SOURCE_RECORD_TYPES, ClinicalSnapshot
from respira.kit.validation import age_years
from respira.screening.catalogue import FACTS, DatedFact, Fact
from respira.screening.models import TRI_FIELDS

_TRI = {"yes": True, "no": False}


class PatientFacts(Protocol):
    @property
    def medical_record_number(self) -> str: ...
    @property
    def date_of_birth(self) -> dt.date: ...
    @property
    def sex_at_birth(self) -> str: ...
    @property
    def smoking_pack_years(self) -> float | None: ...
    @property
    def updated_at(self) -> dt.datetime: ...


def findings_source(findings: Any) -> str:
    return (
        f"screening findings {findings.id}, assessed {findings.assessed_on.isoformat()} "
        f"by {findings.recorded_by_name}"
    )


def patient_facts(patient: PatientFacts, on: dt.date) -> dict[str, DatedFact | None]:
    record = f"patient record {patient.medical_record_number}"
    updated = patient.updated_at.date()
    return {
        "age_years": Fact(
            age_years(patient.date_of_birth, on),
            on,
            f"{record}, born {patient.date_of_birth.isoformat()}",
        ),
        "sex_at_birth": Fact(patient.sex_at_birth, updated, record),
        "smoking_pack_years": (
            None
            if patient.smoking_pack_years is None
            else Fact(patient.smoking_pack_years, updated, f"{record}, updated {updated}")
        ),
    }


def snapshot_facts(snapshot: ClinicalSnapshot) -> dict[str, DatedFact | None]:
    out: dict[str, DatedFact | None] = {}
    for name, spec in FACTS.items():
        if spec.origin == "diagnostics":
            out[name] = getattr(snapshot, name)
    return out


def findings_facts(findings: Any | None) -> dict[str, DatedFact | None]:
    """Facts from a ``ScreeningFindings`` row (or anything with its attributes)."""
    names = [n for n, s in FACTS.items() if s.origin == "screening findings"]
    out: dict[str, DatedFact | None] = dict.fromkeys(names)
    if findings is None:
        return out
    source = findings_source(findings)
    on = findings.assessed_on
    for name in TRI_FIELDS:
        # "unknown" stays unknown; it is kept as a value-less fact so that the evidence
        # can say which record left the question open.
        out[name] = Fact(_TRI.get(getattr(findings, name)), on, source)
    if findings.tb_screening_result is not None:
        out["tb_screening_result"] = Fact(
            findings.tb_screening_result, findings.tb_screening_on, source
        )
    if findings.heart_failure_nyha is not None:
        out["heart_failure_nyha"] = Fact(findings.heart_failure_nyha, on, source)
    if findings.egfr_ml_min_1_73m2 is not None:
        out["egfr_ml_min_1_73m2"] = Fact(
            findings.egfr_ml_min_1_73m2, findings.egfr_measured_on, source
        )
    if findings.pregnancy_test_result is not None:
        out["pregnancy_test_result"] = Fact(
            findings.pregnancy_test_result, findings.pregnancy_test_on, source
        )
    # Smoking (issue 14): "never smoked" is a recorded absence of a quit date (and not
    # a current smoker); a former smoker's quit date is the fact; otherwise unknown.
    out["smoking_quit_on"] = None
    if findings.ever_smoked == "no":
        out["smoking_quit_on"] = Fact(None, on, source)
        if findings.current_smoker == "unknown":  # never smoked: not smoking now
            out["current_smoker"] = Fact(False, on, source)
    elif findings.smoking_quit_on is not None:
        out["smoking_quit_on"] = Fact(findings.smoking_quit_on, on, source)
    return out


_DIAGNOSTIC_SOURCE = re.compile(rf"^visit \d+ / ({'|'.join(SOURCE_RECORD_TYPES)}) (\d+)$")


def evidence_records(
    gathered: Mapping[str, DatedFact | None], names: Iterable[str]
) -> set[tuple[str, int]]:
    """The records (type, id) that the facts ``names`` were read from: the diagnostic
    records the snapshot cites and the findings (the patient record is not one)."""
    out: set[tuple[str, int]] = set()
    for name in names:
        found = gathered.get(name)
        ref = None if found is None else record_of_source(found.source)
        if ref is not None:
            out.add(ref)
    return out


_FINDINGS_SOURCE = re.compile(r"^screening findings (\d+), ")


def record_of_source(source: str) -> tuple[str, int] | None:
    """The record (type, id) a fact's source names, if it is a diagnostic record or
    screening findings (see ``snapshot._source`` and ``findings_source``)."""
    match = _DIAGNOSTIC_SOURCE.match(source)
    if match:
        return SOURCE_RECORD_TYPES[match.group(1)], int(match.group(2))
    match = _FINDINGS_SOURCE.match(source)
    if match:
        return "screening_findings", int(match.group(1))
    return None


def collect(
    patient: PatientFacts,
    snapshot: ClinicalSnapshot,
    findings: Any | None,
    on: dt.date,
) -> dict[str, DatedFact | None]:
    facts = {**patient_facts(patient, on), **snapshot_facts(snapshot), **findings_facts(findings)}
    missing = set(FACTS) - set(facts)
    assert not missing, f"facts without a source: {sorted(missing)}"
    return facts
