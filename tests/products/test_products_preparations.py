"""Dose preparation: units of a released, unexpired lot allocated to an approved course's
infusion (an autologous course only the patient's own harvest), the dose within ±10 %,
the post-thaw viability held to the specification, the thaw's expiry, and one
allocation of the last unit when two lab users take it at the same moment (on both
databases)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest

from respira.kit.config import get_settings
from respira.kit.db import utcnow
from respira.kit.errors import Conflict
from respira.kit.validation import today_utc
from respira.products import preparations, service
from respira.products.schemas import DosePreparationIn
from tests.protocols.helpers import course_body, make_harvest

APPROVE = "approved protocol"


@pytest.fixture
def course(doc, eligible) -> Callable[..., dict[str, Any]]:
    """An approved course (cord cells, infusions of 1.0 ×10^6/kg at 70 kg on days 1 and
    3: 70 ×10^6 cells each), or an autologous one of a given harvest."""

    def make(pid: int | None = None, **overrides: Any) -> dict[str, Any]:
        pid = pid if pid is not None else eligible()
        r = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body(**overrides))
        assert r.status_code == 201, r.text
        out = r.json()
        a = doc.post(
            f"/api/v1/courses/{out['id']}/approve",
            json={"password": doc.account.password, "meaning": APPROVE},
        )
        assert a.status_code == 200, a.text
        return a.json()

    return make


@pytest.fixture
def released_units(lab, lot, release) -> Callable[..., list[dict[str, Any]]]:
    """Units of 80 ×10^6 cells of a released lot (80 × 90 % viable = 72: within ±10 %
    of 70)."""

    def make(count: int = 2, **lot_kw: Any) -> list[dict[str, Any]]:
        made = lot(**lot_kw)
        units = lab.post(
            f"/api/v1/lots/{made['id']}/units", json={"count": count, "cells_million": 80}
        ).json()
        r = release(made["id"])
        assert r.status_code == 200, r.text
        return units

    return make


def _prep(lab, course_id, dins, *, day=1, viability=90.0, thawed_at=None, **extra):
    body = {
        "infusion_day": day,
        "dins": dins,
        "thawed_at": (thawed_at or utcnow()).isoformat(),
        "post_thaw_viability_pct": viability,
        **extra,
    }
    return lab.post(f"/api/v1/courses/{course_id}/dose-preparations", json=body)


def test_dose_preparation_allocates_and_thaws_the_units(db, lab, course, released_units):
    c = course()
    units = released_units()
    thawed = utcnow()
    r = _prep(lab, c["id"], [units[0]["din"]], thawed_at=thawed)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["patient_id"] == c["patient_id"] and out["weight_kg"] == 70
    assert out["dose_cells_million"] == 70
    assert [u["din"] for u in out["units"]] == [units[0]["din"]]
    assert out["units"][0]["status"] == "thawed"
    expires = dt.datetime.fromisoformat(out["thaw_expires_at"])
    assert expires - thawed == dt.timedelta(hours=4)
    with db.session() as session:
        facts = service.bedside_facts(session, units[0]["din"])
    assert facts is not None
    assert (facts.course_id, facts.infusion_day, facts.unit_status) == (c["id"], 1, "thawed")
    assert facts.thaw_expires_at == expires
    kinds = [e["kind"] for e in lab.get(f"/api/v1/units/{units[0]['din']}/chain").json()["events"]]
    assert kinds.index("release") < kinds.index("allocated") < kinds.index("thawed")
    chains = lab.get(f"/api/v1/patients/{c['patient_id']}/unit-chains").json()
    assert [ch["din"] for ch in chains] == [units[0]["din"]]


def test_thaw_expiry_follows_the_setting(monkeypatch, lab, course, released_units):
    monkeypatch.setenv("RESPIRA_THAW_EXPIRY_HOURS", "2")
    get_settings.cache_clear()
    try:
        c = course()
        unit = released_units(1)[0]
        thawed = utcnow()
        out = _prep(lab, c["id"], [unit["din"]], thawed_at=thawed).json()
        assert dt.datetime.fromisoformat(out["thaw_expires_at"]) - thawed == dt.timedelta(hours=2)
    finally:
        get_settings.cache_clear()


def test_an_allocated_unit_cannot_be_allocated_again(lab, course, released_units):
    c = course()
    units = released_units()
    assert _prep(lab, c["id"], [units[0]["din"]], day=1).status_code == 201
    again = _prep(lab, c["id"], [units[0]["din"]], day=3)
    assert again.status_code == 409 and "not available" in again.text


def test_one_preparation_per_infusion(lab, course, released_units):
    c = course()
    units = released_units()
    assert _prep(lab, c["id"], [units[0]["din"]], day=1).status_code == 201
    assert _prep(lab, c["id"], [units[1]["din"]], day=1).status_code == 409


def test_a_day_without_an_infusion_is_refused(lab, course, released_units):
    c = course()
    r = _prep(lab, c["id"], [released_units(1)[0]["din"]], day=2)
    assert r.status_code == 422 and "infusion_day" in r.text


def test_units_of_an_unreleased_lot_are_not_dispensed(lab, lot, course):
    c = course()
    made = lot()
    unit = lab.post(
        f"/api/v1/lots/{made['id']}/units", json={"count": 1, "cells_million": 80}
    ).json()[0]
    r = _prep(lab, c["id"], [unit["din"]])
    assert r.status_code == 409 and "quarantine" in r.text


def test_units_of_a_recalled_lot_are_not_dispensed(lab, course, released_units):
    c = course()
    unit = released_units(1)[0]
    lab.post(
        f"/api/v1/lots/{unit['lot_id']}/recall",
        json={"password": lab.account.password, "reason": "donor lookback"},
    )
    r = _prep(lab, c["id"], [unit["din"]])
    assert r.status_code == 409 and "recalled" in r.text


def test_a_lot_expiring_before_the_infusion_is_not_dispensed(db, lab, course, released_units):
    from respira.products.models import Lot

    c = course()  # first infusion a week from today
    unit = released_units(1)[0]
    with db.transaction() as session:
        session.get(Lot, unit["lot_id"]).expiry = today_utc() + dt.timedelta(days=3)
    r = _prep(lab, c["id"], [unit["din"]])
    assert r.status_code == 409 and "expires" in r.text


def test_a_draft_course_is_not_prepared(doc, eligible, lab, released_units):
    pid = eligible()
    draft = doc.post(f"/api/v1/patients/{pid}/courses", json=course_body()).json()
    r = _prep(lab, draft["id"], [released_units(1)[0]["din"]])
    assert r.status_code == 409 and "draft" in r.text


def test_autologous_course_takes_only_units_of_its_own_harvest(
    db, lab, course, eligible, lot, release
):
    pid, other = eligible(), eligible()
    harvested = today_utc() - dt.timedelta(days=30)
    own = make_harvest(db, pid, "bone_marrow", harvested)
    foreign = make_harvest(db, other, "bone_marrow", harvested)
    c = course(pid, source="autologous_bone_marrow", harvest_id=own)

    def units_of(**kw: Any) -> str:
        made = lot(**kw)
        u = lab.post(
            f"/api/v1/lots/{made['id']}/units", json={"count": 1, "cells_million": 80}
        ).json()[0]
        assert release(made["id"]).status_code == 200
        return str(u["din"])

    foreign_din = units_of(harvest_id=foreign)
    r = _prep(lab, c["id"], [foreign_din])
    assert r.status_code == 422 and "own cells" in r.text
    donor_din = units_of()
    assert _prep(lab, c["id"], [donor_din]).status_code == 422
    own_din = units_of(harvest_id=own)
    assert _prep(lab, c["id"], [own_din]).status_code == 201


def test_allogeneic_course_never_takes_a_patients_harvest(db, lab, course, eligible, lot, release):
    c = course()
    harvest = make_harvest(db, c["patient_id"], "bone_marrow", today_utc())
    made = lot(harvest_id=harvest)
    unit = lab.post(
        f"/api/v1/lots/{made['id']}/units", json={"count": 1, "cells_million": 80}
    ).json()[0]
    release(made["id"])
    r = _prep(lab, c["id"], [unit["din"]])
    assert r.status_code == 422 and "never supply another" in r.text


@pytest.mark.parametrize(
    ("viability", "expected"),
    # 80 ×10^6 cells: 70 ×10^6 ± 10 % is 63-77 viable → 78.75 %-96.25 % viability
    [(78.8, 201), (96.2, 201), (78.7, 422), (96.3, 422)],
)
def test_dose_must_be_within_10_percent_of_the_prescription(
    lab, course, released_units, viability, expected
):
    c = course()
    r = _prep(lab, c["id"], [released_units(1)[0]["din"]], viability=viability)
    assert r.status_code == expected, r.text


def test_post_thaw_count_when_given_decides_the_dose(lab, course, released_units):
    c = course()
    units = released_units(2)
    r = _prep(lab, c["id"], [u["din"] for u in units], post_thaw_cells_million=130)
    assert r.status_code == 422  # 130 is far above 70
    r = _prep(lab, c["id"], [units[0]["din"]], post_thaw_cells_million=71)
    assert r.status_code == 201


def test_post_thaw_viability_below_the_specification_minimum_is_refused(
    lab, course, released_units
):
    c = course()
    unit = released_units(1)[0]
    r = _prep(lab, c["id"], [unit["din"]], viability=69.9, post_thaw_cells_million=70)
    assert r.status_code == 422 and "post_thaw_viability_pct" in r.text
    r = _prep(lab, c["id"], [unit["din"]], viability=70, post_thaw_cells_million=70)
    assert r.status_code == 201


def test_a_thaw_in_the_future_or_already_expired_is_refused(db, lab, course, released_units):
    from respira.products.models import Lot

    c = course()
    unit = released_units(1)[0]
    with db.transaction() as session:  # released yesterday, so that old thaws are possible
        session.get(Lot, unit["lot_id"]).released_at = utcnow() - dt.timedelta(days=1)
    future = _prep(lab, c["id"], [unit["din"]], thawed_at=utcnow() + dt.timedelta(hours=1))
    assert future.status_code == 422 and "thawed_at" in future.text
    expired = _prep(
        lab, c["id"], [unit["din"]], thawed_at=utcnow() - dt.timedelta(hours=4, minutes=1)
    )
    assert expired.status_code == 422 and "expired" in expired.text
    fresh = _prep(
        lab, c["id"], [unit["din"]], thawed_at=utcnow() - dt.timedelta(hours=3, minutes=55)
    )
    assert fresh.status_code == 201


def test_naive_thaw_time_is_refused(lab, course, released_units):
    c = course()
    r = lab.post(
        f"/api/v1/courses/{c['id']}/dose-preparations",
        json={
            "infusion_day": 1,
            "dins": [released_units(1)[0]["din"]],
            "thawed_at": "2026-12-01T09:00:00",
            "post_thaw_viability_pct": 90,
        },
    )
    assert r.status_code == 422


def test_two_lab_users_allocating_the_last_unit_at_once_allocate_it_once(
    db, course, released_units, make_account
):
    first, second = course(), course()
    unit = released_units(1)[0]
    users = [make_account("lab"), make_account("lab")]
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int, course_id: int) -> None:
        body = DosePreparationIn(
            infusion_day=1, dins=[unit["din"]], thawed_at=utcnow(), post_thaw_viability_pct=90
        )
        barrier.wait()
        try:
            with db.transaction() as session:
                results[i] = preparations.prepare_dose(session, users[i].actor, course_id, body)
        except Exception as exc:  # the outcome under test
            results[i] = exc

    threads = [
        threading.Thread(target=run, args=(0, first["id"])),
        threading.Thread(target=run, args=(1, second["id"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    done = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(done) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], Conflict)
    with db.session() as session:
        facts = service.bedside_facts(session, unit["din"])
    assert facts is not None and facts.course_id == done[0].course_id


def test_lab_home_lists_infusions_to_prepare_and_the_page_prepares_one(
    page_as, course, released_units
):
    c = course()
    unit = released_units(1)[0]
    lab = page_as("lab")
    home = lab.get("/lab").text
    link = f"/lab/courses/{c['id']}/dose-preparations?day=1"
    assert link in home
    page = lab.get(link)
    assert page.status_code == 200 and "Allocate and thaw" in page.text
    bad = lab.post_form(
        f"/lab/courses/{c['id']}/dose-preparations",
        {
            "infusion_day": "1",
            "dins": unit["din"],
            "thawed_at": "",
            "post_thaw_viability_pct": "90",
        },
    )
    assert bad.status_code == 422 and "has-error" in bad.text
    thawed = utcnow().strftime("%Y-%m-%dT%H:%M")
    ok = lab.post_form(
        f"/lab/courses/{c['id']}/dose-preparations",
        {
            "infusion_day": "1",
            "dins": unit["eye_readable"],
            "thawed_at": thawed,
            "post_thaw_viability_pct": "90",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303, ok.text
    after = lab.get(ok.headers["location"]).text
    assert "Dose prepared." in after and unit["eye_readable"] in after
    assert link not in lab.get("/lab").text


def test_the_page_reads_the_thaw_time_on_the_clinics_wall_clock(
    request, page_as, course, released_units, lab
):
    """Issue 14: staff type times as the clinic's clocks show them, never UTC. In
    Moscow (UTC+3 all year) 12:00 on the ward clock is 09:00 UTC."""
    from tests.translated import in_clinic_zone

    in_clinic_zone(request, "Europe/Moscow")
    c = course()
    unit = released_units(1)[0]
    page = page_as("lab")
    form = page.get(f"/lab/courses/{c['id']}/dose-preparations?day=1").text
    assert "Europe/Moscow" in form and "UTC" not in form.split('id="f-thawed_at"')[0][-400:]
    local = utcnow().astimezone(dt.timezone(dt.timedelta(hours=3)))
    typed = local.strftime("%Y-%m-%dT%H:%M")
    done = page.post_form(
        f"/lab/courses/{c['id']}/dose-preparations",
        {
            "infusion_day": "1",
            "dins": unit["eye_readable"],
            "thawed_at": typed,
            "post_thaw_viability_pct": "90",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    prepared = lab.get(f"/api/v1/courses/{c['id']}/dose-preparations").json()
    thawed = dt.datetime.fromisoformat(prepared[0]["thawed_at"])
    assert thawed == local.replace(second=0, microsecond=0).astimezone(dt.UTC)


def test_a_thaw_time_the_clocks_skipped_is_asked_again(
    request, page_as, course, released_units, lab
):
    """28 March 2027, 02:30 did not happen in Berlin (the clocks went from 02:00 to
    03:00): the page says so, in the reader's language, and stores nothing."""
    from tests.translated import in_clinic_zone

    in_clinic_zone(request, "Europe/Berlin")
    c = course()
    unit = released_units(1)[0]
    page = page_as("lab")
    for lang, words in [("en", "the clocks go forward"), ("de", "vorgestellt"), ("ru", "вперёд")]:
        refused = page.post_form(
            f"/lab/courses/{c['id']}/dose-preparations?lang={lang}",
            {
                "infusion_day": "1",
                "dins": unit["eye_readable"],
                "thawed_at": "2027-03-28T02:30",
                "post_thaw_viability_pct": "90",
            },
        )
        assert refused.status_code == 422 and words in refused.text, refused.text[-2000:]
    assert lab.get(f"/api/v1/courses/{c['id']}/dose-preparations").json() == []
