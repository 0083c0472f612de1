"""Every section of both summaries is present: with its data when the data exists, and
saying "nothing recorded yet" when it does not (it never disappears)."""

from __future__ import annotations

import pytest

from respira.summaries import service
from tests.summaries.summaries_helpers import RECOMMENDATIONS

ALWAYS_FILLED = {"identity", "limits"}


@pytest.mark.parametrize("kind", ["discharge", "follow_up"])
def test_a_patient_without_records_gets_every_section_marked_nothing_recorded_yet(
    sc, make_patient, kind
):
    pid = make_patient(first_name="Empty", email="empty@mail.example")
    draft = sc.draft(pid, kind=kind, recommendations=None)
    doc = sc.preview(draft.id)
    assert [s.key for s in doc.sections] == list(service.SECTIONS)
    for section in doc.sections:
        text = " ".join(getattr(b, "text", "") for b in section.blocks)
        if section.key in ALWAYS_FILLED:
            assert not section.empty, section.key
        else:
            assert section.empty, section.key
            assert "Nothing recorded yet" in text, section.key
    medication = next(s for s in doc.sections if s.key == "medication")
    assert any("continues unchanged" in getattr(b, "text", "") for b in medication.blocks)


@pytest.mark.parametrize("kind", ["discharge", "follow_up"])
def test_a_patient_with_the_whole_road_gets_every_section_with_its_data(sc, road, kind):
    signed = sc.signed(road.pid, kind=kind)
    doc = sc.preview(signed.id, "en")
    sections = {s.key: s for s in doc.sections}
    assert list(sections) == list(service.SECTIONS)
    assert not [k for k, s in sections.items() if s.empty]

    def text(key):
        parts = []
        for b in sections[key].blocks:
            parts.append(getattr(b, "text", ""))
            parts += [f"{k} {v}" for k, v in getattr(b, "items", [])]
            parts += [" ".join(r) for r in getattr(b, "rows", [])]
            parts.append(getattr(b, "description", ""))
        return " ".join(parts)

    assert "195967001" in text("diagnosis") and "J45.0" in text("diagnosis")
    assert "allergic and eosinophilic" in text("diagnosis")
    assert "severe asthma" in text("diagnosis") and "GINA step 5" in text("diagnosis")
    assert "ACT" in text("diagnosis") and "very poorly controlled" in text("diagnosis")
    assert "eligible" in text("diagnosis")
    diagnostics = text("diagnostics")
    assert "GLI Global" in diagnostics and "below the LLN" in diagnostics
    assert "420 cells/µL" in diagnostics and "house dust mite: positive" in diagnostics
    assert any(b.kind == "chart" and b.chart == "zscore" for b in sections["diagnostics"].blocks)
    course = text("course")
    assert road.din in course and "LOT-" in course
    assert "70.0 ×10⁶ cells in total, 1.00 ×10⁶ cells/kg" in course
    assert "physiotherapy" in course
    assert "before" in text("administrations") and "36.8" in text("administrations")
    events = text("adverse_events")
    assert "Fever" in events and "possibly related" in events and "recovered" in events
    follow_up = text("follow_up")
    assert "month 1" in follow_up and "Baseline before treatment: ACT 14" in follow_up
    # ACT 14 → 20: +6, at least the MCID of 3 points, marked ▲ in words of the legend.
    assert "20 (+6 ▲)" in follow_up
    assert "FEV1" in follow_up and any(
        b.kind == "chart" and b.chart == "follow_up" for b in sections["follow_up"].blocks
    )
    assert "high dose" in text("medication") and "continues unchanged" in text("medication")
    assert "Review in 4 weeks." in text("recommendations")
    assert "no comparison group" in text("limits").lower()
    assert RECOMMENDATIONS.split("\n")[0] in text("recommendations")
