"""Audit records read as changes in the reader's language, not as dictionaries."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest

from respira.audit_trail import describe
from respira.kit.config import get_settings
from respira.kit.i18n import translations

AT = dt.datetime(2026, 3, 14, 23, 30, tzinfo=dt.UTC)


def _record(**fields: Any) -> Any:
    base: dict[str, Any] = {
        "seq": 7,
        "at": AT,
        "actor_id": 3,
        "actor_role": "physician",
        "actor_name": "Dr. Paula Pulmo",
        "entity_type": "patient",
        "entity_id": "17",
        "action": "update",
        "before": None,
        "after": None,
        "reason": None,
    }
    base.update(fields)
    for key in ("before", "after"):
        if isinstance(base[key], dict):
            base[key] = json.dumps(base[key])
    return SimpleNamespace(**base)


def _en(message: str) -> str:
    return message


def test_an_update_reads_as_old_value_arrow_new_value_with_the_fields_label():
    entry = describe.describe(
        _record(before={"date_of_birth": "1980-03-14"}, after={"date_of_birth": "1980-03-15"}),
        _en,
        "en",
    )
    assert [describe.change_line(c) for c in entry.changes] == [
        "Date of birth: 1980-03-14 → 1980-03-15"
    ]
    assert entry.summary == "changed" and entry.kind == "Patient"
    assert entry.actor == "Dr. Paula Pulmo (physician)"


def test_a_retracted_act_reads_with_its_score_and_the_reason():
    retraction = _record(
        entity_type="questionnaire_response",
        entity_id="5",
        action="retract",
        before={"retracted": False},
        after={"retracted": True, "reason": "entered on the wrong patient"},
        reason="entered on the wrong patient",
    )
    created = {"instrument": "act", "score": 12.0, "answers": [3, 2, 2, 3, 2]}
    headlines = {
        ("questionnaire_response", "5"): describe.headline("questionnaire_response", created, _en)
    }
    entry = describe.describe(retraction, _en, "en", headlines=headlines)
    assert entry.summary == "ACT score 12 → retracted, reason: entered on the wrong patient"
    assert entry.changes == []


def test_a_creation_lists_the_stored_fields_and_unknown_fields_get_a_humanised_name():
    entry = describe.describe(
        _record(
            entity_type="treatment_history",
            action="create",
            after={
                "rescue_puffs_per_week": 14.0,
                "laba": True,
                "biologic": None,
                "peak_flow_l_min": 420,
            },
        ),
        _en,
        "en",
    )
    assert [describe.change_line(c) for c in entry.changes] == [
        "Rescue puffs a week: 14",
        "Long-acting beta-agonist (LABA): yes",
        "Biologic: —",
        "Peak flow l min: 420",
    ]
    assert entry.summary == "created" and entry.kind == "Treatment history"


def test_a_signature_reads_with_what_was_signed():
    entry = describe.describe(
        _record(
            entity_type="screening",
            entity_id="3",
            action="sign",
            before={"status": "draft"},
            after={"status": "signed", "meaning": "eligible"},
        ),
        _en,
        "en",
        headlines={("screening", "3"): "decision eligible"},
    )
    assert entry.summary == "decision eligible: signed"
    assert "Status: draft → signed" in [describe.change_line(c) for c in entry.changes]


@pytest.mark.parametrize(
    ("lang", "label", "role", "action"),
    [
        (
            "de",
            "Rauchen (Packungsjahre)",
            "Betrieb (Kommandozeile)",
            "in einen Patienten übernommen",
        ),
        ("ru", "Курение (пачка-лет)", "оператор (командная строка)", "переведено в пациента"),
    ],
)
def test_labels_roles_and_actions_are_translated(lang, label, role, action):
    gettext = translations(lang).gettext
    entry = describe.describe(
        _record(
            actor_role="system",
            action="convert",
            before={"smoking_pack_years": 0.0},
            after={"smoking_pack_years": 2.5},
        ),
        gettext,
        lang,
    )
    assert describe.change_line(entry.changes[0]) == f"{label}: 0 → 2.5"
    assert entry.actor == f"Dr. Paula Pulmo ({role})"
    assert entry.summary == action


def test_the_time_is_shown_in_the_clinics_time_zone(monkeypatch):
    monkeypatch.setenv("RESPIRA_CLINIC_TIMEZONE", "Europe/Berlin")
    get_settings.cache_clear()
    try:
        entry = describe.describe(_record(), _en, "en")
    finally:
        get_settings.cache_clear()
    # 23:30 UTC on 14 March is 00:30 on 15 March in Berlin (CET, UTC+1).
    assert "Mar 15, 2026" in entry.when and "12:30:00" in entry.when


def test_long_values_are_cut_on_the_page_but_not_in_the_export():
    text = "x" * 300
    record = _record(action="create", after={"note": text})
    assert len(describe.describe(record, _en, "en").changes[0].after or "") == describe.LONG_TEXT
    assert describe.describe(record, _en, "en", limit=None).changes[0].after == text
