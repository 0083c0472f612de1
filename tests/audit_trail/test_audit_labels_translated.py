"""Every kind of record and every field the use cases write into the audit trail reads
in German and Russian on /audit (issue 14): no "Stay item 29", "Created at" or "Gina
step" in English words on a German or Russian page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from respira.audit_trail import describe
from respira.kit.db import Base
from respira.kit.i18n import translations
from tests.audit_trail.test_describe import _record as describe_record

SRC = Path(__file__).resolve().parents[2] / "src" / "respira"
WRITTEN = re.compile(r'entity_type\s*=\s*"([a-z_0-9]+)"')
# Kinds named in code, not in a call: the trail's own events, not records of a step.
NOT_RECORDS = {"fhir_import", "outcomes_export", "sign_in", "two_factor_policy", "thing"}


def _record(**fields: Any) -> Any:
    """An audit record of a coordinator's new checklist item, unless ``fields`` say else."""
    base = {"entity_type": "stay_item", "entity_id": "29", "action": "create"}
    return describe_record(**{"actor_role": "coordinator", **base, **fields})


def test_every_kind_of_record_the_use_cases_write_has_a_label():
    written: set[str] = set()
    for path in SRC.rglob("*.py"):
        written |= set(WRITTEN.findall(path.read_text(encoding="utf-8")))
    unlabelled = sorted(written - set(describe.KINDS) - NOT_RECORDS)
    assert not unlabelled, f"kinds of record without a label in describe.KINDS: {unlabelled}"


def test_the_fields_of_the_models_that_people_read_have_labels():
    columns = {c.key for mapper in Base.registry.mappers for c in mapper.columns}
    names = (
        "created_at",
        "updated_at",
        "course_id",
        "stay_id",
        "quote_id",
        "sent_at",
        "valid_until",
        "admitted_at",
        "discharge_note",
        "post_thaw_viability_pct",
        "baseline_score",
        "gina_step",
        "heart_failure_nyha",
        "total_ige_iu_ml",
    )
    for name in names:
        assert name in columns
        for lang in ("de", "ru"):
            words = describe.label("any", name, translations(lang).gettext)
            assert words != describe.humanise(name), (lang, name)


READ = {
    "de": {
        "kind": "Punkt der Aufenthaltsliste",
        "lines": ["Angelegt am: ", "Behandlungszyklus: 4", "Aufenthalt: 3",
                  "GINA-Therapiestufe: 5"],
    },
    "ru": {
        "kind": "Пункт списка пребывания",
        "lines": ["Время создания: ", "Курс лечения: 4", "Пребывание: 3",
                  "Ступень терапии по GINA: 5"],
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "ru"])
def test_a_record_of_a_newer_step_reads_in_the_readers_language(lang):
    gettext = translations(lang).gettext
    after = {"created_at": "2026-12-07T09:30:00+00:00", "course_id": 4, "stay_id": 3,
             "gina_step": 5}  # fmt: skip
    entry = describe.describe(_record(after=after), gettext, lang)
    assert entry.kind == READ[lang]["kind"]
    lines = [describe.change_line(c) for c in entry.changes]
    for start in READ[lang]["lines"]:
        assert any(line.startswith(start) for line in lines), (start, lines)
    english = {"Created at", "Course id", "Stay id", "Gina step", "Stay item"}
    assert not [line for line in lines if line.split(":")[0] in english]


def test_a_qc_results_method_is_the_test_method_not_a_payment_method():
    gettext = translations("de").gettext
    qc = describe.describe(_record(entity_type="qc_result", after={"method": "x"}), gettext, "de")
    paid = describe.describe(
        _record(entity_type="invoice_payment", after={"method": "x"}), gettext, "de"
    )
    assert describe.change_line(qc.changes[0]).startswith("Testmethode: ")
    assert describe.change_line(paid.changes[0]).startswith("Zahlungsart: ")
