"""A stay's checklist: the items made at booking (one per kind), the "other" items a
coordinator adds, and their changes — state, owner, note and the kind's details —
each versioned (a stale version answers 409) and audited.

States and their moves: ``open`` → ``in_progress``, ``done`` or ``not_needed``;
``in_progress`` → ``open``, ``done`` or ``not_needed``; a ``done`` item is reopened as
``in_progress`` and a ``not_needed`` one as ``open`` before it moves on. An item is
done only with what its kind needs (``NEEDED_FOR_DONE``: the flights both ways, the
driver, car and confirmation of the pickup and the drop-off, ...); a change that would
leave a done item without it is refused, naming the fields. The checklist of a
cancelled or completed stay no longer changes (409).

Details are merged at the top level (RFC 7396 style): the keys a change gives replace
the item's, a ``null`` clears one, the others stay. A flight's times are wall-clock
times at its airports, stored with the airports' zones; a time the clocks skip is
refused, and a flight that lands before it takes off or flies longer than
``MAX_FLIGHT_HOURS`` is refused as a typing error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from respira.accounts import service as accounts_service
from respira.kit import audit, records
from respira.kit.actors import Actor, require_role
from respira.kit.db import utcnow
from respira.kit.errors import InvalidInput, NotFound
from respira.kit.marks import N_
from respira.kit.rows import from_row
from respira.kit.texts import Msg
from respira.kit.trail import Trail
from respira.kit.web.forms import human_message
from respira.logistics import airports, clock, diets, rows
from respira.logistics.labels import ITEM_STATE_LABELS
from respira.logistics.models import ITEM_KINDS, Stay, StayItem
from respira.logistics.roles import COORDINATE_ROLES, OWNER_ROLES, STAY_READ_ROLES
from respira.logistics.schemas import (
    DETAILS_IN,
    DietLine,
    FlightLegOut,
    ItemIn,
    ItemOut,
    ItemPatch,
    OwnerOut,
)

TRAIL = Trail("stay_item")
# The kinds every stay's checklist starts with, in the order the page shows them.
STANDARD_KINDS: tuple[str, ...] = tuple(kind for kind in ITEM_KINDS if kind != "other")
OPEN_STATES = frozenset({"open", "in_progress"})
MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "done", "not_needed"}),
    "in_progress": frozenset({"open", "done", "not_needed"}),
    "done": frozenset({"in_progress"}),
    "not_needed": frozenset({"open"}),
}
# What an item of a kind needs before it is done: details paths ("pickup.driver").
NEEDED_FOR_DONE: dict[str, tuple[str, ...]] = {
    "travel_documents": ("passport_number", "nationality", "passport_expires"),
    "flight": ("arrival", "departure"),
    "airport_pickup": (
        "pickup.driver",
        "pickup.vehicle",
        "pickup.confirmed",
        "dropoff.driver",
        "dropoff.vehicle",
        "dropoff.confirmed",
    ),
    "accommodation": ("room",),
    "interpreter": ("language", "interpreter"),
    "meals": ("diet",),
    "other": (),
}
# Each of those details in words (its path's words: what the API's refusal names), that
# a page writes in its reader's language.
NEEDED_WORDS: dict[str, str] = {
    "passport_number": N_("passport number"),
    "nationality": N_("nationality"),
    "passport_expires": N_("passport expires"),
    "arrival": N_("arrival"),
    "departure": N_("departure"),
    "pickup.driver": N_("pickup driver"),
    "pickup.vehicle": N_("pickup vehicle"),
    "pickup.confirmed": N_("pickup confirmed"),
    "dropoff.driver": N_("dropoff driver"),
    "dropoff.vehicle": N_("dropoff vehicle"),
    "dropoff.confirmed": N_("dropoff confirmed"),
    "room": N_("room"),
    "language": N_("language"),
    "interpreter": N_("interpreter"),
    "diet": N_("diet"),
}
MAX_FLIGHT_HOURS = 30
# A passport must stay valid three months beyond the departure from the Schengen area
# (Regulation (EU) 2016/399, Schengen Borders Code, Art. 6(1)(a)(i)); the stay's page
# warns, it does not refuse: other destinations ask for other margins.
PASSPORT_MARGIN = dt.timedelta(days=90)
STALE = "the checklist item was changed by someone else at the same moment; reload it"


# --- reading ----------------------------------------------------------------------------


def _value(details: dict[str, Any], path: str) -> Any:
    value: Any = details
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def missing_for_done(kind: str, details: dict[str, Any]) -> list[str]:
    """The details an item of ``kind`` still lacks before it is done."""
    return [path for path in NEEDED_FOR_DONE[kind] if _value(details, path) in (None, "", False)]


def listed_words(paths: list[str]) -> Msg:
    """Details by their words, separated by commas ("pickup driver, pickup vehicle"): a
    ``Msg`` whose words a page writes in its reader's language."""
    words = {f"w{i}": Msg(NEEDED_WORDS.get(path, path)) for i, path in enumerate(paths)}
    return Msg(", ".join(f"%({name})s" for name in words), **words)


def flight_leg(stored: dict[str, Any] | None) -> FlightLegOut | None:
    """A stored flight with its moments in UTC (read in the zones stored with it)."""
    if not stored:
        return None
    departs = dt.datetime.fromisoformat(stored["departs"])
    arrives = dt.datetime.fromisoformat(stored["arrives"])
    return FlightLegOut(
        number=stored["number"],
        from_airport=stored["from_airport"],
        from_airport_name=airports.label(stored["from_airport"]),
        from_zone=stored["from_zone"],
        from_terminal=stored.get("from_terminal"),
        departs=departs,
        departs_at=clock.at_airport(departs, stored["from_zone"], "departs"),
        to_airport=stored["to_airport"],
        to_airport_name=airports.label(stored["to_airport"]),
        to_zone=stored["to_zone"],
        to_terminal=stored.get("to_terminal"),
        arrives=arrives,
        arrives_at=clock.at_airport(arrives, stored["to_zone"], "arrives"),
    )


def details_out(item: StayItem, stay: Stay, diet: list[DietLine] | None) -> dict[str, Any]:
    """The item's details as the API and the pages read them: flights with their UTC
    moments, the accommodation's nights and companion as the stay has them unless set,
    the meals item with the patient's diet restrictions."""
    details = dict(item.details)
    if item.kind == "flight":
        for leg in ("arrival", "departure"):
            details[leg] = flight_leg(details.get(leg))
    elif item.kind == "accommodation":
        if details.get("nights") is None:
            details["nights"] = (stay.departure_date - stay.arrival_date).days
        if details.get("companion") is None:
            details["companion"] = stay.companion
    elif item.kind == "meals":
        details["restrictions"] = list(diet or [])
    elif item.kind == "travel_documents" and details.get("passport_expires"):
        expires = dt.date.fromisoformat(details["passport_expires"])
        details["expires_too_soon"] = expires < stay.departure_date + PASSPORT_MARGIN
    return details


def item_out(item: StayItem, stay: Stay, diet: list[DietLine] | None = None) -> ItemOut:
    return from_row(
        ItemOut,
        item,
        owner=item.owner_name,
        details=details_out(item, stay, diet),
        missing_for_done=missing_for_done(item.kind, item.details),
    )


def owners(session: Session) -> list[OwnerOut]:
    """The active staff a checklist item may be given to."""
    return [
        OwnerOut(id=u.id, name=u.name, role=u.role)
        for u in accounts_service.list_users(session)
        if u.is_active and u.role in OWNER_ROLES
    ]


def _owner(session: Session, owner_id: int) -> OwnerOut:
    found = next((o for o in owners(session) if o.id == owner_id), None)
    if found is None:
        raise InvalidInput(
            {"owner_id": "no active coordinator, nurse, physician or admin has this id"}
        )
    return found


# --- making the checklist ---------------------------------------------------------------


def standard_items(actor: Actor, owner: OwnerOut, interpreter_language: str) -> list[StayItem]:
    """The items of a new stay, owned by ``owner``; the interpreter's language is the
    patient's preferred one until the coordinator says otherwise."""
    now = utcnow()
    made = []
    for position, kind in enumerate(STANDARD_KINDS, start=1):
        details: dict[str, Any] = {}
        if kind == "interpreter":
            details = {"language": interpreter_language}
        made.append(
            StayItem(
                position=position,
                kind=kind,
                owner_id=owner.id,
                owner_name=owner.name,
                state="open",
                details=details,
                updated_at=now,
                updated_by_name=actor.name,
            )
        )
    return made


# --- changing an item -------------------------------------------------------------------


def _errors(exc: ValidationError) -> dict[str, str]:
    """A details schema's errors by the dotted path of the field ("arrival.number"):
    each Pydantic's message (what the API answers) carrying the sentence for people
    (``human_message``) that a page shows in its reader's language."""
    out: dict[str, str] = {}
    for err in exc.errors():
        path = ".".join(str(part) for part in err.get("loc", ())) or "details"
        if path in out:
            continue
        human = human_message(dict(err), path)
        said = str.__new__(Msg, str(err.get("msg", "is not valid")).removeprefix("Value error, "))
        said.msgid, said.params = human.msgid, human.params
        out[path] = said
    return out


def _stored_input(kind: str, details: dict[str, Any]) -> dict[str, Any]:
    """An item's stored details as its schema takes them (a flight's zones dropped)."""
    if kind != "flight":
        return dict(details)
    return {
        leg: {k: v for k, v in found.items() if k not in ("from_zone", "to_zone")}
        if isinstance(found, dict)
        else found
        for leg, found in details.items()
    }


def _flight(leg: str, data: dict[str, Any]) -> dict[str, Any]:
    """A flight as stored, its moments checked: times that exist at their airports,
    landing after take-off, within ``MAX_FLIGHT_HOURS``."""
    from_zone = airports.by_code()[data["from_airport"]].tz
    to_zone = airports.by_code()[data["to_airport"]].tz
    departs = clock.local_naive(data["departs"], from_zone)
    arrives = clock.local_naive(data["arrives"], to_zone)
    departs_at = clock.at_airport(departs, from_zone, f"{leg}.departs")
    arrives_at = clock.at_airport(arrives, to_zone, f"{leg}.arrives")
    if arrives_at <= departs_at:
        raise InvalidInput(
            {
                f"{leg}.arrives": "the flight lands before it takes off (each time is the "
                "local time at its airport): check the times and the airports"
            }
        )
    if arrives_at - departs_at > dt.timedelta(hours=MAX_FLIGHT_HOURS):
        raise InvalidInput(
            {
                f"{leg}.arrives": f"the flight would last more than {MAX_FLIGHT_HOURS} hours: "
                "check the dates"
            }
        )
    return {
        **data,
        "departs": departs.isoformat(timespec="minutes"),
        "arrives": arrives.isoformat(timespec="minutes"),
        "from_zone": from_zone,
        "to_zone": to_zone,
    }


def merged_details(kind: str, current: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The item's details after ``change`` (merged at the top level), checked with the
    kind's schema; 422 naming the fields that do not pass."""
    schema = DETAILS_IN[kind]
    merged = {**_stored_input(kind, current), **change}
    try:
        parsed = schema.model_validate(merged)
    except ValidationError as exc:
        raise InvalidInput(_errors(exc)) from exc
    if problems := parsed.problems():
        raise InvalidInput(problems)
    stored = parsed.model_dump(mode="json", exclude_none=True)
    if kind == "flight":
        for leg in ("arrival", "departure"):
            found = getattr(parsed, leg)
            if found is not None:
                stored[leg] = _flight(leg, found.model_dump())
    return stored


def _move(current: str, wanted: str) -> None:
    if wanted == current or wanted in MOVES[current]:
        return
    hint = "reopen it (in progress) first" if current == "done" else "open it again first"
    raise InvalidInput(
        {
            "state": f"an item that is {ITEM_STATE_LABELS[current]} cannot become "
            f"{ITEM_STATE_LABELS[wanted]} directly: {hint}"
        }
    )


def _snapshot(item: StayItem) -> dict[str, Any]:
    return {
        "state": item.state,
        "owner": item.owner_name,
        "owner_id": item.owner_id,
        "note": item.note,
        "title": item.title,
        "details": item.details,
    }


def update_item(
    session: Session,
    actor: Actor,
    stay_id: int,
    item_id: int,
    patch: ItemPatch,
    expected_version: int,
) -> ItemOut:
    """Change an item's state, owner, note, title (an "other" item's) or details
    (committed). 409 on a stale version or a stay that no longer changes; 422 naming
    the field for a move the states do not allow, a done item without what its kind
    needs, an owner who is not active staff, or details that do not pass."""
    require_role(actor, COORDINATE_ROLES)
    stay = rows.still_booked(rows.locked(session, actor, Stay, stay_id, "stay"))
    item = records.lock_row(session, StayItem, item_id)
    if item is None or item.stay_id != stay.id:
        raise NotFound("no such checklist item")
    records.check_version(item.version, expected_version, "checklist item")
    diet = diets.lines_for(session, stay.patient_id)
    given = patch.model_dump(exclude_unset=True)
    before = _snapshot(item)
    if "title" in given and item.kind != "other":
        raise InvalidInput({"title": "only an item of the kind “other” has a title"})
    details = item.details
    if given.get("details") is not None:
        details = merged_details(item.kind, item.details, given["details"])
    state = given.get("state") or item.state
    _move(item.state, state)
    if state == "done" and (missing := missing_for_done(item.kind, details)):
        raise InvalidInput(
            {
                "state": Msg(
                    N_("the item cannot be done without: %(missing)s"),
                    missing=listed_words(missing),
                )
            }
        )
    if given.get("owner_id") is not None and given["owner_id"] != item.owner_id:
        owner = _owner(session, given["owner_id"])
        item.owner_id, item.owner_name = owner.id, owner.name
    if "note" in given:
        item.note = given["note"]
    if given.get("title") is not None:
        item.title = given["title"]
    item.details = details
    item.state = state
    after = _snapshot(item)
    old, new = audit.diff(before, after)
    if not new:
        return item_out(item, stay, diet)
    item.updated_at = utcnow()
    item.updated_by_name = actor.name
    records.flush(session, STALE)
    TRAIL.record(session, actor, item.id, "update", before=old, after=new)
    session.commit()
    return item_out(item, stay, diet)


def add_item(session: Session, actor: Actor, stay_id: int, data: ItemIn) -> ItemOut:
    """Add an "other" item to a stay's checklist (committed), owned by the coordinator
    who adds it unless another owner is named."""
    require_role(actor, COORDINATE_ROLES)
    stay = rows.still_booked(rows.locked(session, actor, Stay, stay_id, "stay"))
    if data.owner_id is not None:
        owner = _owner(session, data.owner_id)
    else:
        assert actor.user_id is not None
        owner = OwnerOut(id=actor.user_id, name=actor.name, role=actor.role)
    position = max((i.position for i in stay.items), default=0) + 1
    item = StayItem(
        stay_id=stay.id,
        position=position,
        kind="other",
        title=data.title,
        owner_id=owner.id,
        owner_name=owner.name,
        state="open",
        note=data.note,
        details={},
        updated_at=utcnow(),
        updated_by_name=actor.name,
    )
    with records.flush_or_conflict(session, STALE):
        session.add(item)
    out = item_out(item, stay)
    TRAIL.record(session, actor, item.id, "create", after=out.model_dump(mode="json"))
    session.commit()
    return out


def checklist(session: Session, actor: Actor, stay_id: int) -> list[ItemOut]:
    """The stay's checklist, in the page's order; the meals item carries the patient's
    diet restrictions."""
    require_role(actor, STAY_READ_ROLES)
    stay = rows.load_stay(session, actor, stay_id)
    diet = diets.lines_for(session, stay.patient_id)
    return [item_out(item, stay, diet) for item in stay.items]
