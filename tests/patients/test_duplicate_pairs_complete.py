"""The duplicates worklist finds every pair the registration's own check would report
(issue 14): the same date of birth and names that match by ``matching.names_match``,
the same email address or the same phone number (in E.164 form), less the pairs stated
to be two people. No pair is lost to the way the registry is grouped before names are
compared: not a name spelt differently at both ends, not given and family names typed
the other way round, not a phone number stored in another form."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import weakref
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from respira.kit.actors import Actor
from respira.patients import matching, service, worklist
from respira.patients.models import Patient
from respira.patients.schemas import PatientIn, PatientPatch

COORDINATOR = Actor(user_id=1, role="coordinator", name="Cora Coordinator")
CLERK = Actor.system("test")


def _pairs(db) -> dict[frozenset[int], tuple[str, ...]]:
    with db.session() as s:
        return {
            frozenset((p.first.id, p.second.id)): p.why
            for p in worklist.duplicate_pairs(s, COORDINATOR) or ()
        }


def _forget(monkeypatch) -> None:
    """A process that has not looked yet: its first look reads the whole registry."""
    monkeypatch.setattr(worklist, "_known", weakref.WeakKeyDictionary())


def _register(db, people: list[dict[str, object]]) -> list[int]:
    with db.transaction() as s:
        ids = [service.add_patient(s, CLERK, PatientIn.model_validate(p)).id for p in people]
    return ids


def _person(first: str, last: str, born: str, n: int, **kw: object) -> dict[str, object]:
    data: dict[str, object] = {
        "first_name": first,
        "last_name": last,
        "date_of_birth": born,
        "sex_at_birth": "female",
        "country": "DE",
        "email": f"person{n}@mail.example",
        "phone": f"+49 30 7770{n:03d}",
    }
    data.update(kw)
    return data


# Pairs that match by the registration's rules but were never compared: the names'
# skeletons agree neither in their first nor in their last four letters.
MISSED_BY_NAME_ENDS = [
    # German transliteration of a Russian name against the Cyrillic one (Je/E, s/z,
    # z/ts at both ends of the name)
    (("Jelena", "Kusnezowa"), ("Елена", "Кузнецова")),
    (("Jewgenija", "Wassiljewa"), ("Евгения", "Васильева")),
    (("Jewgenij", "Kusnezow"), ("Евгений", "Кузнецов")),
    (("Yekaterina", "Kuznecova"), ("Ekaterina", "Kuznetsova")),
    # given and family name typed the other way round
    (("Dmitri", "Sokolov"), ("Sokolov", "Dmitriy")),
    (("Jürgen", "Schäfer"), ("Schaefer", "Juergen")),
    # the family name typed in the given name's field, the patronymic with the given name
    (("Olga", "Smirnova"), ("Smirnova", "Olga Ivanovna")),
]


@pytest.mark.parametrize("looked_before", [False, True], ids=["first look", "registered later"])
@pytest.mark.parametrize(("one", "other"), MISSED_BY_NAME_ENDS, ids=lambda names: " ".join(names))
def test_names_that_differ_at_both_ends_or_in_their_order_are_paired(
    db, monkeypatch, one, other, looked_before
):
    assert matching.names_match(" ".join(one), " ".join(other))
    _forget(monkeypatch)
    (first,) = _register(db, [_person(*one, "1984-02-29", 1)])
    if looked_before:  # the second is found by the look that brings the pairs up to date
        assert _pairs(db) == {}
    (second,) = _register(db, [_person(*other, "1984-02-29", 2)])
    assert _pairs(db) == {frozenset((first, second)): ("name_and_birth_date",)}


@pytest.mark.parametrize("looked_before", [False, True], ids=["first look", "registered later"])
@pytest.mark.parametrize(
    ("stored", "country", "again"),
    [
        ("555 0123", "DE", "+49 555 0123"),  # a seven-digit number without its trunk prefix
        ("555 0123", "DE", "0049 555 0123"),
        ("8 495 123 45 67", "RU", "+7 495 123 45 67"),
    ],
)
def test_a_phone_number_stored_in_another_form_is_the_same_phone(
    db, monkeypatch, stored, country, again, looked_before
):
    assert matching.e164(stored, country) == matching.e164(again, country)
    _forget(monkeypatch)
    (first,) = _register(
        db, [_person("Anna", "Berg", "1970-01-01", 1, phone=stored, country=country)]
    )
    if looked_before:
        assert _pairs(db) == {}
    (second,) = _register(
        db, [_person("Olaf", "Strand", "1955-05-05", 2, phone=again, country=country)]
    )
    assert _pairs(db) == {frozenset((first, second)): ("phone",)}


# --- a registry of realistic spellings, against every pair compared with every other --

# Given names: the spellings of one name the clinic's registrations use (Latin and
# Cyrillic, German and English transliteration, accents and umlauts, "x"/"ks").
FEMALE = [
    ["Elena", "Jelena", "Yelena", "Елена"],
    ["Ekaterina", "Yekaterina", "Jekaterina", "Екатерина"],
    ["Evgenia", "Yevgeniya", "Jewgenija", "Евгения"],
    ["Xenia", "Ksenia", "Kseniya", "Ксения"],
    ["Maria", "Mariya", "Marija", "Мария"],
    ["Marie"],
    ["Natalia", "Natalya", "Natalja", "Наталья"],
    ["Julia", "Yulia", "Yuliya", "Юлия"],
    ["Olga", "Ольга"],
    ["Anna", "Анна"],
    ["Alexandra", "Aleksandra", "Александра"],
    ["Zoë", "Zoe"],
    ["Léa", "Lea"],
    ["Małgorzata", "Malgorzata"],
]
MALE = [
    ["Alexei", "Aleksei", "Alexey", "Алексей"],
    ["Sergei", "Sergey", "Sergej", "Сергей"],
    ["Dmitri", "Dmitriy", "Dmitrij", "Дмитрий"],
    ["Yevgeny", "Evgeni", "Jewgenij", "Евгений"],
    ["Alexander", "Aleksandr", "Александр"],
    ["Jürgen", "Juergen", "Jurgen"],
    ["Jörg", "Joerg"],
    ["Filipp", "Philipp", "Филипп"],
    ["Łukasz", "Lukasz"],
    ["Jérôme", "Jerome"],
]
# Family names: (masculine spellings, feminine spellings).
FAMILIES = [
    (
        ["Kuznetsov", "Kusnezow", "Kuznecov", "Кузнецов"],
        ["Kuznetsova", "Kusnezowa", "Kuznecova", "Кузнецова", "Kuznetsová"],
    ),
    (
        ["Vasiliev", "Vasilyev", "Wassiljew", "Васильев"],
        ["Vasilieva", "Vasilyeva", "Wassiljewa", "Васильева"],
    ),
    (
        ["Solovyov", "Soloviev", "Solowjow", "Соловьёв"],
        ["Solovyova", "Solovieva", "Solowjowa", "Соловьёва"],
    ),
    (["Zaitsev", "Saizew", "Зайцев"], ["Zaitseva", "Saizewa", "Зайцева"]),
    (["Ivanov", "Iwanow", "Иванов"], ["Ivanova", "Iwanowa", "Иванова", "Ivanová"]),
    (["Novikov", "Nowikow", "Новиков"], ["Novikova", "Nowikowa", "Новикова"]),
    (["Filippov", "Filipov", "Филиппов"], ["Filippova", "Filipova", "Филиппова"]),
    (["Alexandrov", "Aleksandrov"], ["Alexandrova", "Aleksandrova", "Александрова"]),
    (["Müller", "Mueller", "Muller"], ["Müller", "Mueller", "Muller"]),
    (["Schäfer", "Schaefer"], ["Schäfer", "Schaefer"]),
    (["Schmidt", "Schmitt"], ["Schmidt", "Schmitt"]),
    (["Fischer"], ["Fischer"]),
    (["Lefèvre", "Lefevre"], ["Lefèvre", "Lefevre"]),
    (["Wiśniewski", "Wisniewski"], ["Wiśniewska", "Wisniewska"]),
    (["Kowalski"], ["Kowalska"]),
]
PATRONYMICS = {"female": ["Ivanovna", "Petrovna", "Ивановна"], "male": ["Ivanovich", "Петрович"]}
# Few birth dates, so that many people who are not one share one.
BIRTH_DATES = [dt.date(1950 + 3 * n, 1 + n % 12, 1 + (7 * n) % 28) for n in range(9)]
COUNTRY_CODES = {"DE": "49", "RU": "7", "PL": "48", "FR": "33"}


@dataclass
class _Identity:
    sex: str
    given: list[str]
    family: list[str]
    born: dt.date
    country: str
    email: str
    national: str  # the phone number's national part


def _typo(rng: random.Random, name: str) -> str:
    """One slip of the keyboard: a letter doubled, dropped or swapped with the next."""
    i = rng.randrange(1, len(name) - 1)
    slip = rng.choice(["double", "drop", "swap"])
    if slip == "double":
        return name[:i] + name[i] + name[i:]
    if slip == "drop":
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]


def _phone(rng: random.Random, who: _Identity) -> str:
    code = COUNTRY_CODES[who.country]
    trunk = "8" if who.country == "RU" else "0"
    return rng.choice(
        [
            f"+{code} {who.national}",
            f"00{code} {who.national}",
            f"{trunk}{who.national}",
            f"{code}{who.national}",
        ]
    )


def _registration(rng: random.Random, who: _Identity, n: int) -> dict[str, object]:
    first, last = rng.choice(who.given), rng.choice(who.family)
    if rng.random() < 0.1:
        last = _typo(rng, last)
    if rng.random() < 0.1:
        first = f"{first} {rng.choice(PATRONYMICS[who.sex])}"
    if rng.random() < 0.15:  # given and family name the other way round
        first, last = last, first
    email = f"p{n}@mail.example"
    if rng.random() < 0.2:  # the person's own address, as typed that day
        email = rng.choice([who.email, who.email.upper(), who.email.capitalize()])
    phone: str | None = None
    roll = rng.random()
    if roll < 0.25:
        phone = _phone(rng, who)
    elif roll < 0.85:
        phone = f"+{COUNTRY_CODES[who.country]} 40 {n:07d}"
    born = who.born
    if rng.random() < 0.05:  # a birth date typed wrong: not paired by name
        born = born.replace(day=born.day + 1)
    return {
        "first_name": first,
        "last_name": last,
        "date_of_birth": born.isoformat(),
        "sex_at_birth": who.sex,
        "country": who.country,
        "email": email,
        "phone": phone,
    }


def _registry(seed: int, people: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    n = 0
    while len(out) < people:
        sex = rng.choice(["female", "male"])
        masculine, feminine = rng.choice(FAMILIES)
        who = _Identity(
            sex=sex,
            given=rng.choice(FEMALE if sex == "female" else MALE),
            family=feminine if sex == "female" else masculine,
            born=rng.choice(BIRTH_DATES),
            country=rng.choice(list(COUNTRY_CODES)),
            email=f"family{n}@mail.example",
            national=rng.choice([f"{rng.randint(100, 999)} {n:04d}", f"30 {n:07d}"]),
        )
        for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
            out.append(_registration(rng, who, n))
            n += 1
    return out[:people]


def _brute_force(db) -> dict[frozenset[int], tuple[str, ...]]:
    """Every pair compared with every other by the registration's rules."""
    with db.session() as s:
        rows = list(s.scalars(select(Patient)))
    found: dict[frozenset[int], tuple[str, ...]] = {}
    for a, b in itertools.combinations(rows, 2):
        why = []
        name_a, name_b = f"{a.first_name} {a.last_name}", f"{b.first_name} {b.last_name}"
        if a.date_of_birth == b.date_of_birth and (
            matching.names_match(name_a, name_b) or matching.names_match(name_b, name_a)
        ):
            why.append("name_and_birth_date")
        if a.email and matching.email_key(a.email) == matching.email_key(b.email):
            why.append("email")
        phone = matching.e164(a.phone, a.country)
        if phone and phone == matching.e164(b.phone, b.country):
            why.append("phone")
        if why:
            found[frozenset((a.id, b.id))] = tuple(why)
    return found


def _registration_check(db) -> set[frozenset[int]]:
    """The pairs the registration's check reports, each patient checked against the
    others as if it were being registered now."""
    found = set()
    with db.session() as s:
        for p in s.scalars(select(Patient)):
            for c in service.duplicate_candidates(
                s,
                first_name=p.first_name,
                last_name=p.last_name,
                date_of_birth=p.date_of_birth,
                email=p.email,
                phone=p.phone,
                country=p.country,
                exclude_id=p.id,
            ):
                found.add(frozenset((p.id, c.id)))
    return found


def test_the_worklist_holds_exactly_the_pairs_found_by_comparing_every_patient_with_every_other(
    db, monkeypatch
):
    people = _registry(seed=14, people=320)
    _forget(monkeypatch)
    # The first look reads the registry as it is (most of it) ...
    first_ids = _register(db, people[:240])
    expected = _brute_force(db)
    assert len([why for why in expected.values() if "name_and_birth_date" in why]) >= 60
    assert _pairs(db) == expected
    # ... later looks bring the pairs up to date: registrations, edits, dismissals.
    _register(db, people[240:])
    with db.transaction() as s:
        for pid, name in zip(first_ids[:6], ["Jelena", "Kusnezowa", "Ольга"] * 2, strict=True):
            version = s.get(Patient, pid).version  # type: ignore[union-attr]
            service.update_patient(s, CLERK, pid, PatientPatch(first_name=name), version)
    expected = _brute_force(db)
    for pair in sorted(expected, key=sorted)[::7]:
        with db.transaction() as s:
            worklist.dismiss(s, COORDINATOR, *sorted(pair))
        del expected[pair]
    assert _pairs(db) == expected
    # A process that looks for the first time now finds the same.
    _forget(monkeypatch)
    assert _pairs(db) == expected
    # Every pair the registration's check reports is on the worklist (the worklist also
    # pairs two forms of one phone number that neither registration's query reads).
    dismissed = set(_brute_force(db)) - set(expected)
    reported = _registration_check(db) - dismissed
    assert reported <= set(expected)
    assert {p for p, why in expected.items() if why != ("phone",)} <= reported


def _words() -> list[str]:
    spellings = [s for names in FEMALE + MALE for s in names]
    spellings += [s for m, f in FAMILIES for s in m + f]
    spellings += [s for p in PATRONYMICS.values() for s in p]
    return sorted({w for s in spellings for w in matching.skeleton(s).split()})


def test_the_bound_before_scoring_never_leaves_out_a_pair_that_matches():
    """The bound that spares most pairs their score (``worklist._Names``) is never under
    the score: on the realistic spellings, their slips, and words of repeated letters
    (beyond what its bit masks count one by one)."""
    rng = random.Random(14)
    words = _words()
    words += [_typo(rng, w) for w in words if len(w) > 2]
    words += ["".join(rng.choice("aab") for _ in range(rng.randint(1, 24))) for _ in range(200)]
    names = worklist._Names()
    for _ in range(20_000):
        a, b = rng.choice(words), rng.choice(words)
        if rng.random() < 0.3:
            b = _typo(rng, a) if len(a) > 2 else a
        score = max(matching.jaro_winkler(a, b), matching.jaro_winkler(b, a))
        assert names._ceiling(a, b) >= score - 1e-12, (a, b)
    # Names as the registry keeps them (``name_key``: skeletons, a doubled letter once).
    words = sorted({k for k in (matching.skeleton(w) for w in words) if k and " " not in k})
    for _ in range(20_000):
        a = tuple(rng.choice(words) for _ in range(rng.choice([1, 2, 2, 3])))
        b = tuple(rng.sample(a, len(a)))  # the same words in another order, then changed
        if rng.random() < 0.5:
            b = tuple(w if rng.random() < 0.5 else rng.choice(words) for w in b)
        if rng.random() < 0.3:
            b = (*b, rng.choice(words))
        expected = matching.names_match(" ".join(a), " ".join(b)) or matching.names_match(
            " ".join(b), " ".join(a)
        )
        assert names.match(a, b) == expected, (a, b)
