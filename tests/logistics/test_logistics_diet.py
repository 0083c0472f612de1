"""Diet restrictions: food allergies and intolerances recorded on the patient are carried
to every stay's meals item and to the kitchen's list of each day of the stay (severe
first); a retracted one leaves them; positive food sensitisations of the diagnostic
allergy panel join them with their source (aeroallergens do not, and a food the record
already names is not repeated); the kitchen list shows them in red and in words."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.diagnostics import service as diagnostics
from respira.diagnostics.schemas import MarkersIn, VisitIn
from respira.diagnostics.schemas import RetractionIn as DiagnosticsRetraction
from respira.kit.errors import Conflict, Forbidden
from respira.logistics import service
from respira.logistics.foods import food_group
from respira.logistics.schemas import RestrictionIn, RetractionIn
from tests.logistics.logistics_helpers import days


@pytest.mark.parametrize(
    ("allergen", "group"),
    [
        ("Peanut", "peanuts"),
        ("Erdnuss", "peanuts"),
        ("арахис", "peanuts"),
        ("cow's milk (sIgE)", "milk"),
        ("Hühnerei", "eggs"),
        ("яйцо куриное", "eggs"),
        ("Brazil nut", "nuts"),
        ("Weizenmehl", "gluten"),
        ("креветки", "crustaceans"),
        ("house dust mite", None),
        ("Birch pollen", None),
        ("cat dander", None),
        ("Alternaria", None),
    ],
)
def test_food_allergens_are_told_from_aeroallergens_in_three_languages(allergen, group):
    assert food_group(allergen) == group


def _panel(db, physician, patient_id, on, *tests):
    with db.transaction() as s:
        visit = diagnostics.create_visit(s, physician.actor, patient_id, VisitIn(visit_date=on))
    body = MarkersIn(
        sensitisations=[
            {"allergen": a, "positive": positive, "method": "sige"} for a, positive in tests
        ]
    )
    with db.transaction() as s:
        return diagnostics.record_markers(s, physician.actor, visit.id, body)


def test_a_recorded_allergy_reaches_the_meals_item_and_the_kitchen_list(desk):
    day = days(4)
    pid = desk.patient(first_name="Ivan", last_name="Zorin")
    other = desk.patient(last_name="Adams")
    stay = desk.book(pid, day, day + dt.timedelta(days=3))
    desk.book(other, day, day + dt.timedelta(days=3))
    desk.restrict(pid, "Lactose", "intolerance", "mild")
    desk.restrict(pid, "Peanut", "allergy", "severe")
    meals = desk.items(stay.id)["meals"].details["restrictions"]
    assert [(m.substance, m.severity, m.source) for m in meals] == [
        ("Peanut", "severe", "record"),
        ("Lactose", "mild", "record"),
    ]
    for on in (day, day + dt.timedelta(days=3)):
        kitchen = desk.board(on).kitchen
        assert kitchen[0].patient_name == "Zorin, Ivan"
        assert [line.substance for line in kitchen[0].lines] == ["Peanut", "Lactose"]
        assert kitchen[1].lines == []
    assert desk.board(day + dt.timedelta(days=4)).kitchen == []


def test_a_retracted_restriction_leaves_the_kitchen_list_and_stays_on_record(desk, db):
    pid = desk.patient()
    stay = desk.book(pid, days(1), days(3))
    wrong = desk.restrict(pid, "Celery")
    with db.transaction() as s:
        service.retract_restriction(
            s, desk.nurse.actor, wrong.id, RetractionIn(reason="Entered for the wrong patient")
        )
    assert desk.board(days(2)).kitchen[0].lines == []
    assert desk.items(stay.id)["meals"].details["restrictions"] == []
    with db.session() as s:
        diet = service.get_diet(s, desk.nurse.actor, pid)
    assert [(r.substance, r.retracted) for r in diet.recorded] == [("Celery", True)]
    with db.transaction() as s, pytest.raises(Conflict):
        service.retract_restriction(s, desk.nurse.actor, wrong.id, RetractionIn(reason="again"))


def test_positive_food_tests_of_the_allergy_panel_join_with_their_source(desk, db, make_account):
    physician = make_account("physician")
    pid = desk.patient()
    desk.restrict(pid, "Erdnuss", "allergy", "moderate")
    _panel(
        db,
        physician,
        pid,
        days(-40),
        ("peanut", True),
        ("cow's milk", True),
        ("house dust mite", True),
        ("hazelnut", False),
    )
    _panel(db, physician, pid, days(-10), ("cow's milk", True))
    with db.session() as s:
        lines = service.get_diet(s, desk.coordinator.actor, pid).lines
    assert [(line.substance, line.source) for line in lines] == [
        ("Erdnuss", "record"),  # the record names the peanut already
        ("cow's milk", "allergy_panel"),  # the newest test, once
    ]
    assert lines[1].tested_on == days(-10) and lines[1].method == "sige"


def test_a_panel_retracted_as_entered_in_error_does_not_count(desk, db, make_account):
    physician = make_account("physician")
    pid = desk.patient()
    panel = _panel(db, physician, pid, days(-5), ("sesame", True))
    with db.transaction() as s:
        diagnostics.retract_record(
            s,
            physician.actor,
            panel.visit_id,
            "markers",
            panel.id,
            DiagnosticsRetraction(reason="wrong patient"),
        )
    with db.session() as s:
        assert service.get_diet(s, desk.nurse.actor, pid).lines == []


def test_recording_needs_a_substance_and_the_care_team(desk, db):
    pid = desk.patient()
    with pytest.raises(ValueError):
        RestrictionIn.model_validate({"substance": " ", "kind": "allergy", "severity": "mild"})
    with pytest.raises(ValueError):
        RestrictionIn.model_validate({"substance": "Egg", "kind": "dislike", "severity": "mild"})
    admin = desk.make_account("admin")
    body = RestrictionIn(substance="Egg", kind="allergy", severity="mild")
    with db.transaction() as s, pytest.raises(Forbidden):
        service.record_restriction(s, admin.actor, pid, body)
    with db.session() as s:
        assert service.get_diet(s, admin.actor, pid).recorded == []


def test_the_kitchen_list_shows_restrictions_in_red_and_in_words(page_as, desk):
    pid = desk.patient(last_name="Zorin")
    desk.book(pid, days(1), days(4))
    desk.restrict(pid, "Peanut", "allergy", "severe")
    nurse = page_as("nurse")
    r = nurse.get(f"/logistics/board?day={days(2)}")
    assert r.status_code == 200
    kitchen = r.text[r.text.index('id="kitchen-list"') :]
    assert '<li class="abnormal"><span>ALLERGY:</span>' in kitchen
    assert "Peanut" in kitchen and "severe" in kitchen
    german = nurse.get(f"/logistics/board?day={days(2)}&lang=de").text
    assert "ALLERGIE:" in german and "schwer" in german


def test_bad_restriction_forms_are_refused_naming_the_field(page_as, desk):
    pid = desk.patient()
    nurse = page_as("nurse")
    r = nurse.post_form(
        f"/logistics/patients/{pid}/diet-restrictions",
        {"substance": "", "kind": "allergy", "severity": "worst"},
    )
    assert r.status_code == 422
    assert 'id="e-substance"' in r.text and 'id="e-severity"' in r.text
    r = nurse.post_form(
        f"/logistics/patients/{pid}/diet-restrictions",
        {"substance": "Shrimp", "kind": "allergy", "severity": "severe"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Shrimp" in nurse.get(f"/logistics/patients/{pid}/diet").text
