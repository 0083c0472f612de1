"""Possible duplicate patients on the coordinator's and the admin's worklist: pairs of
registered patients that match each other by the registration's own rules (same birth
date and a close name across accents and Cyrillic/Latin spellings, or the same email or
phone), less the pairs someone stated to be two people."""

from __future__ import annotations

import threading
import time
import weakref

import pytest

from respira.kit.actors import Actor
from respira.kit.errors import Forbidden
from respira.patients import worklist

COORDINATOR = Actor(user_id=1, role="coordinator", name="Cora Coordinator")


def _pairs(db) -> set[frozenset[int]]:
    with db.transaction() as s:
        return {
            frozenset((p.first.id, p.second.id)) for p in worklist.duplicate_pairs(s, COORDINATOR)
        }


def _person(make_patient, i: int, first: str, last: str, born: str, **kw) -> int:
    return make_patient(
        first_name=first,
        last_name=last,
        date_of_birth=born,
        email=kw.pop("email", f"p{i}@mail.example"),
        phone=kw.pop("phone", f"+49 30 55500{i:02d}"),
        **kw,
    )


def test_pairs_match_across_accents_umlauts_and_cyrillic_latin_transliteration(db, make_patient):
    ivanova = _person(make_patient, 1, "Мария", "Иванова", "1980-03-14")
    ivanova_latin = _person(make_patient, 2, "Mariya", "Ivanova", "1980-03-14")
    mueller = _person(make_patient, 3, "Jürgen", "Müller", "1965-07-01")
    mueller_spelt = _person(make_patient, 4, "Juergen", "Mueller", "1965-07-01")
    lea = _person(make_patient, 5, "Léa", "Dubois", "1990-01-02")
    lea_plain = _person(make_patient, 6, "Lea", "Dubois", "1990-01-02")
    sergei = _person(make_patient, 7, "Сергей", "Смирнов", "1971-11-30")
    sergey = _person(make_patient, 8, "Sergey", "Smirnov", "1971-11-30")
    # Not duplicates: another given name on the same day, the same name on another day.
    _person(make_patient, 9, "Irina", "Ivanova", "1980-03-14")
    _person(make_patient, 10, "Mariya", "Ivanova", "1981-03-14")
    assert _pairs(db) == {
        frozenset((ivanova, ivanova_latin)),
        frozenset((mueller, mueller_spelt)),
        frozenset((lea, lea_plain)),
        frozenset((sergei, sergey)),
    }


def test_the_same_email_or_phone_pairs_two_patients_whatever_their_names(db, make_patient):
    a = _person(make_patient, 1, "Anna", "Berg", "1970-01-01", email="Shared@Mail.example")
    b = _person(make_patient, 2, "Olaf", "Strand", "1955-05-05", email="shared@mail.example")
    c = _person(make_patient, 3, "Nina", "Holm", "1960-02-02", phone="+49 30 1234567", country="DE")
    d = _person(make_patient, 4, "Karl", "Lund", "1962-03-03", phone="030 1234567", country="DE")
    with db.transaction() as s:
        found = {
            frozenset((p.first.id, p.second.id)): p.why
            for p in worklist.duplicate_pairs(s, COORDINATOR)
        }
    assert found == {frozenset((a, b)): ("email",), frozenset((c, d)): ("phone",)}


def test_a_pair_stated_to_be_two_people_leaves_the_worklist_and_new_ones_arrive(db, make_patient):
    first = _person(make_patient, 1, "Olga", "Petrova", "1975-06-06")
    second = _person(make_patient, 2, "Ольга", "Петрова", "1975-06-06")
    assert _pairs(db) == {frozenset((first, second))}
    with db.transaction() as s:
        worklist.dismiss(s, COORDINATOR, second, first)
    assert _pairs(db) == set()
    # A patient registered later (the worklist brings itself up to date from the trail).
    third = _person(make_patient, 3, "Olga", "Petrowa", "1975-06-06")
    assert _pairs(db) == {frozenset((first, third)), frozenset((second, third))}


def test_the_worklist_item_is_for_coordinators_and_admins_and_links_both_patients(
    db, make_patient, page_as
):
    first = _person(make_patient, 1, "Zoë", "Faure", "1988-08-08")
    second = _person(make_patient, 2, "Zoe", "Faure", "1988-08-08")
    with db.transaction() as s:
        (item,) = worklist.items(s, COORDINATOR)
        assert item.count == 1 and item.href == "/patients/duplicates"
        assert item.rows[0].href == f"/patients/duplicates#pair-{first}-{second}"
        assert worklist.items(s, Actor(user_id=2, role="physician", name="P")) == []
        with pytest.raises(Forbidden):
            worklist.duplicate_pairs(s, Actor(user_id=2, role="nurse", name="N"))
    coordinator = page_as("coordinator")
    home = coordinator.get("/").text
    assert "Possible duplicate patients" in home
    page = coordinator.get("/patients/duplicates")
    assert page.status_code == 200
    assert f'href="/patients/{first}"' in page.text and f'href="/patients/{second}"' in page.text
    done = coordinator.post_form(
        "/patients/duplicates/not-a-duplicate",
        {"first": first, "second": second},
        csrf_from="/patients/duplicates",
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _pairs(db) == set()
    assert page_as("physician").get("/patients/duplicates").status_code == 403


def test_a_large_registry_is_first_compared_in_the_background_without_making_anyone_wait(
    db, make_patient, page_as, monkeypatch
):
    """After a start, the first look at a registry larger than BACKGROUND_FROM runs in a
    thread: the worklist says the registry is being compared, and the pairs come once it
    is done."""
    first = _person(make_patient, 1, "Jürgen", "Schäfer", "1961-01-02")
    second = _person(make_patient, 2, "Juergen", "Schaefer", "1961-01-02")
    monkeypatch.setattr(worklist, "BACKGROUND_FROM", 1)
    started = threading.Event()
    release = threading.Event()
    real = worklist._all_pairs

    def slow_first_read(session):
        started.set()
        assert release.wait(10)
        return real(session)

    monkeypatch.setattr(worklist, "_all_pairs", slow_first_read)
    monkeypatch.setattr(worklist, "_known", weakref.WeakKeyDictionary())
    with db.session() as s:
        (item,) = worklist.items(s, COORDINATOR)
    assert item.label == worklist.CHECKING and item.count == 0 and not item.rows
    assert started.wait(10)
    page = page_as("coordinator").get("/patients/duplicates")
    assert page.status_code == 200 and "being compared" in page.text  # nobody waits
    release.set()
    deadline = time.monotonic() + 10
    while worklist._building and time.monotonic() < deadline:
        time.sleep(0.02)
    with db.session() as s:
        (item,) = worklist.items(s, COORDINATOR)
    assert item.count == 1 and item.rows[0].href == f"/patients/duplicates#pair-{first}-{second}"
