"""A stay's checklist: one item per kind made at booking, owned by the booking
coordinator; the states and the moves between them; what an item needs before it is
done; stale edits refused with 409; owners that are active staff; "other" items; a
cancelled stay's checklist frozen; every change audited."""

from __future__ import annotations

import datetime as dt

import pytest

from respira.kit import audit
from respira.kit.errors import Conflict, Forbidden, InvalidInput
from respira.logistics import service
from respira.logistics.models import StayItem
from respira.logistics.schemas import CancellationIn, ItemIn, ItemPatch
from tests.logistics.logistics_helpers import CAR, leg


def test_booking_makes_one_item_of_each_kind_open_and_owned_by_the_coordinator(desk):
    stay = desk.book(desk.patient(preferred_language="ru"))
    items = desk.items(stay.id)
    assert list(items) == list(service.STANDARD_KINDS)
    assert {i.state for i in items.values()} == {"open"}
    assert {i.owner for i in items.values()} == {desk.coordinator.actor.name}
    assert items["interpreter"].details["language"] == "ru"
    assert stay.open_items == 6 and stay.items_total == 6


def test_an_open_item_moves_to_in_progress_then_done_and_the_stay_shows_what_is_open(desk):
    stay = desk.book(desk.patient())
    desk.update(stay.id, "accommodation", state="in_progress", details={"room": "Garden 12"})
    done = desk.update(stay.id, "accommodation", state="done")
    assert done.state == "done" and done.details["room"] == "Garden 12" and done.version == 3
    desk.update(stay.id, "interpreter", state="not_needed")
    shown = desk.stay(stay.id)
    assert shown.open_items == 4
    assert "accommodation" not in shown.open_kinds and "interpreter" not in shown.open_kinds


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ("done", "not_needed"),
        ("done", "open"),
        ("not_needed", "done"),
        ("not_needed", "in_progress"),
    ],
)
def test_a_done_or_not_needed_item_is_reopened_before_it_moves_on(desk, first, then):
    stay = desk.book(desk.patient())
    desk.update(stay.id, "meals", state=first, details={"diet": "vegan"})
    with pytest.raises(InvalidInput) as refused:
        desk.update(stay.id, "meals", state=then)
    assert "state" in refused.value.errors
    assert desk.items(stay.id)["meals"].state == first


def test_a_done_item_reopens_as_in_progress_and_a_not_needed_one_as_open(desk):
    stay = desk.book(desk.patient())
    desk.update(stay.id, "meals", state="done", details={"diet": "halal"})
    assert desk.update(stay.id, "meals", state="in_progress").state == "in_progress"
    desk.update(stay.id, "interpreter", state="not_needed")
    assert desk.update(stay.id, "interpreter", state="open").state == "open"


def test_the_pickup_is_done_only_with_driver_car_and_confirmation_both_ways(desk):
    stay = desk.book(desk.patient())
    with pytest.raises(InvalidInput) as refused:
        desk.update(stay.id, "airport_pickup", state="done", details={"pickup": CAR})
    message = refused.value.errors["state"]
    assert "dropoff driver" in message and "dropoff confirmed" in message
    unconfirmed = {**CAR, "confirmed": False}
    with pytest.raises(InvalidInput):
        desk.update(
            stay.id,
            "airport_pickup",
            state="done",
            details={"pickup": CAR, "dropoff": unconfirmed},
        )
    done = desk.update(
        stay.id, "airport_pickup", state="done", details={"pickup": CAR, "dropoff": CAR}
    )
    assert done.state == "done" and done.missing_for_done == []


def test_clearing_what_a_done_item_needs_is_refused_and_changes_nothing(desk):
    stay = desk.book(desk.patient())
    desk.update(stay.id, "interpreter", state="done", details={"interpreter": "Irina Volkova"})
    with pytest.raises(InvalidInput):
        desk.update(stay.id, "interpreter", details={"interpreter": None})
    assert desk.items(stay.id)["interpreter"].details["interpreter"] == "Irina Volkova"


def test_details_merge_at_the_top_level_and_null_clears_a_part(desk):
    stay = desk.book(desk.patient())
    desk.update(stay.id, "airport_pickup", details={"pickup": CAR, "dropoff": CAR})
    kept = desk.update(stay.id, "airport_pickup", details={"pickup": {**CAR, "driver": "Ana"}})
    assert kept.details["pickup"]["driver"] == "Ana" and kept.details["dropoff"] == CAR
    cleared = desk.update(stay.id, "airport_pickup", details={"dropoff": None})
    assert "dropoff" not in cleared.details


def test_a_stale_version_is_refused_with_409_and_changes_nothing(desk):
    stay = desk.book(desk.patient())
    first = desk.items(stay.id)["accommodation"]
    desk.update(stay.id, "accommodation", version=first.version, details={"room": "A1"})
    with pytest.raises(Conflict, match="changed by someone else"):
        desk.update(stay.id, "accommodation", version=first.version, details={"room": "B2"})
    assert desk.items(stay.id)["accommodation"].details["room"] == "A1"


def test_bad_details_are_refused_naming_the_field(desk):
    stay = desk.book(desk.patient())
    with pytest.raises(InvalidInput) as refused:
        desk.update(
            stay.id,
            "travel_documents",
            details={"passport_number": "1!", "nationality": "XX", "wrong": 1},
        )
    errors = refused.value.errors
    assert {"passport_number", "nationality", "wrong"} <= set(errors)
    with pytest.raises(InvalidInput) as refused:
        desk.update(stay.id, "interpreter", details={"days": -1, "language": "not a tag!"})
    assert {"days", "language"} <= set(refused.value.errors)


def test_an_owner_must_be_active_staff_and_the_change_is_audited(desk, db):
    stay = desk.book(desk.patient())
    nurse = desk.nurse
    lab = desk.make_account("lab")
    with pytest.raises(InvalidInput) as refused:
        desk.update(stay.id, "meals", owner_id=lab.id)
    assert "owner_id" in refused.value.errors
    moved = desk.update(stay.id, "meals", owner_id=nurse.id, note="Ask about the diet")
    assert moved.owner == nurse.actor.name and moved.owner_id == nurse.id
    with db.session() as s:
        trail = audit.history(s, "stay_item", moved.id)
    assert [r.action for r in trail] == ["update"]
    assert trail[0].after is not None and nurse.actor.name in trail[0].after


def test_a_coordinator_adds_other_items_with_a_title_only_other_items_have(desk, db):
    stay = desk.book(desk.patient())
    with db.transaction() as s:
        added = service.add_item(s, desk.actor, stay.id, ItemIn(title="Wheelchair at the gate"))
    assert (
        added.kind == "other" and added.state == "open" and added.title == "Wheelchair at the gate"
    )
    items = desk.items(stay.id)
    assert "other:Wheelchair at the gate" in items and len(items) == 7
    with pytest.raises(InvalidInput) as refused:
        desk.update(stay.id, "meals", title="Not for meals")
    assert "title" in refused.value.errors


def test_the_checklist_of_a_cancelled_stay_no_longer_changes(desk, db):
    stay = desk.book(desk.patient())
    with db.transaction() as s:
        service.cancel_stay(s, desk.actor, stay.id, CancellationIn(reason="Trip postponed"))
    with pytest.raises(Conflict, match="cancelled"):
        desk.update(stay.id, "meals", state="in_progress")
    with db.transaction() as s, pytest.raises(Conflict):
        service.add_item(s, desk.actor, stay.id, ItemIn(title="Late"))


def test_an_admin_reads_the_checklist_but_a_nurse_does_not_and_neither_changes_it(desk, db):
    stay = desk.book(desk.patient())
    admin = desk.make_account("admin")
    assert len(desk.items(stay.id, actor=admin.actor)) == 6
    with db.session() as s, pytest.raises(Forbidden):
        service.checklist(s, desk.nurse.actor, stay.id)
    item = desk.items(stay.id)["meals"]
    with db.transaction() as s, pytest.raises(Forbidden):
        service.update_item(s, admin.actor, stay.id, item.id, ItemPatch(state="done"), item.version)


def test_a_flight_is_stored_at_its_airports_local_times_with_their_zones(desk, db):
    stay = desk.book(desk.patient())
    arrival = leg("SU 2310", "SVO", "2027-03-27T07:40", "BER", "2027-03-27T09:10")
    out = desk.update(stay.id, "flight", details={"arrival": arrival})
    with db.session() as s:
        stored = s.get(StayItem, out.id).details["arrival"]
    assert stored["departs"] == "2027-03-27T07:40" and stored["from_zone"] == "Europe/Moscow"
    assert stored["arrives"] == "2027-03-27T09:10" and stored["to_zone"] == "Europe/Berlin"
    assert stored["number"] == "SU2310"
    shown = out.details["arrival"]
    assert shown.departs_at.isoformat() == "2027-03-27T04:40:00+00:00"
    assert shown.arrives_at.isoformat() == "2027-03-27T08:10:00+00:00"


def test_a_passport_expiring_within_three_months_of_the_departure_is_flagged(desk, page_as):
    stay = desk.book(desk.patient())
    soon = str(stay.departure_date + dt.timedelta(days=30))
    later = str(stay.departure_date + dt.timedelta(days=120))
    flagged = desk.update(stay.id, "travel_documents", details={"passport_expires": soon})
    assert flagged.details["expires_too_soon"] is True
    page = page_as("coordinator").get(f"/logistics/stays/{stay.id}").text
    assert "WARNING: the passport expires less than three months" in page
    fine = desk.update(stay.id, "travel_documents", details={"passport_expires": later})
    assert fine.details["expires_too_soon"] is False
