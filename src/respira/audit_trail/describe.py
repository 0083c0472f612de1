"""Audit records as people read them: changes, not dictionaries.

``describe(record, ...)`` turns one record of the chain into an ``Entry``: what kind of
record it concerns ("ACT and other questionnaires"), what happened ("changed",
"retracted"), one line per changed field with its label in the reader's language
("Date of birth: 1980-03-14 → 1980-03-15"), who did it (name and role) and when, in the
clinic's time zone (``respira.kit.clinic_time``). The fields and kinds of record the
use cases write are labelled here and in ``field_labels``; one without a label is shown
with a humanised name (``rescue_puffs_per_week`` → "Rescue puffs per week"), so a new
kind of record reads sensibly before anyone labels it.

A retraction or a signature stores only that it happened; the line says of what, from
the entity's creation record when the caller gives it (``headlines``): "ACT score 12 →
retracted, reason: entered on the wrong patient".
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from respira.audit_trail.field_labels import FIELD_LABELS, FIELDS_OF_KIND, KIND_LABELS
from respira.kit.actors import ROLE_WORDS
from respira.kit.clinic_time import clinic_zone
from respira.kit.marks import N_

Gettext = Callable[[str], str]

ROLES: dict[str, str] = {
    **ROLE_WORDS,
    "public": N_("member of the public"),
    "system": N_("operator (command line)"),
}

# Where a member of staff read a patient's record (``access_records.place``).
PLACES: dict[str, str] = {
    "patient_page": N_("the patient's page"),
    "patient_api": N_("the API (a program)"),
}
# A place is otherwise "<channel>:<what was read>" (``respira.audit_trail.access``):
# ``api:screening 12``, ``page:visits/new``, ``fhir:Observation 7-fev1``.
CHANNELS: dict[str, str] = {
    "page": N_("a page"),
    "api": N_("the API (a program)"),
    "fhir": N_("the FHIR interface (a program)"),
}

ACTIONS: dict[str, str] = {
    "create": N_("created"),
    "update": N_("changed"),
    "retract": N_("retracted"),
    "sign": N_("signed"),
    "supersede": N_("superseded"),
    "delete": N_("deleted"),
    "cancel": N_("cancelled"),
    "approve": N_("approved"),
    "release": N_("released"),
    "convert": N_("converted into a patient"),
    "status": N_("status changed"),
    "export": N_("exported"),
    "sign_in": N_("signed in"),
    "sign_out": N_("signed out"),
    "sign_in_failed": N_("failed sign-in"),
}

KINDS: dict[str, str] = {
    "patient": N_("Patient"),
    "user": N_("User account"),
    "consultation_request": N_("Consultation request"),
    "diagnostic_visit": N_("Diagnostic visit"),
    "spirometry_session": N_("Spirometry"),
    "marker_panel": N_("Type 2 biomarkers"),
    "questionnaire_response": N_("Questionnaire (ACT, ACQ)"),
    "treatment_history": N_("Treatment history"),
    "imaging_study": N_("Imaging study"),
    "screening_findings": N_("Screening findings"),
    "screening": N_("Screening"),
    "signature": N_("Electronic signature"),
    "course": N_("Treatment course"),
    "admission": N_("Admission"),
    "administration": N_("Administration"),
    "adverse_event": N_("Adverse event"),
    "follow_up_check_in": N_("Follow-up check-in"),
    "medical_summary": N_("Medical summary"),
    "appointment": N_("Appointment"),
    "message_thread": N_("Message thread"),
    "audit_trail": N_("Audit trail"),
    "outcome_exit": N_("Registry exit"),
    "quote": N_("Quote"),
    "invoice": N_("Invoice"),
    "stay": N_("Stay"),
    "harvest": N_("Harvest"),
    **KIND_LABELS,
}

# Field labels: those of one kind of record first, then those every kind shares.
FIELDS: dict[str, dict[str, str]] = {
    "patient": {
        "first_name": N_("First name"),
        "last_name": N_("Last name"),
        "date_of_birth": N_("Date of birth"),
        "sex_at_birth": N_("Sex at birth"),
        "country": N_("Country"),
        "preferred_language": N_("Preferred language"),
        "email": N_("Email"),
        "phone": N_("Phone"),
        "height_cm": N_("Height (cm)"),
        "weight_kg": N_("Weight (kg)"),
        "smoking_pack_years": N_("Smoking (pack-years)"),
        "medical_record_number": N_("Record number"),
    },
    "questionnaire_response": {
        "instrument": N_("Questionnaire"),
        "score": N_("Score"),
        "band": N_("Control"),
        "answers": N_("Answers"),
    },
    "spirometry_session": {
        "fev1_pre_l": N_("FEV1 before bronchodilator (L)"),
        "fvc_pre_l": N_("FVC before bronchodilator (L)"),
        "fev1_post_l": N_("FEV1 after bronchodilator (L)"),
        "fvc_post_l": N_("FVC after bronchodilator (L)"),
        "bdr": N_("Bronchodilator response"),
        "height_cm": N_("Height (cm)"),
    },
    "marker_panel": {
        "blood_eosinophils_per_ul": N_("Blood eosinophils (cells/µL)"),
        "feno_ppb": N_("FeNO (ppb)"),
        "phenotype": N_("Phenotype"),
    },
    "screening": {
        "decision": N_("Decision"),
        "screening_date": N_("Screening date"),
        "meaning": N_("Meaning of the signature"),
    },
    "signature": {
        "meaning": N_("Meaning of the signature"),
        "entity_type": N_("Signed record"),
        "entity_id": N_("Signed record number"),
        "content_hash": N_("Hash of what was signed"),
        "signed_at": N_("Signed at"),
    },
    "audit_trail": {
        "filters": N_("Filters"),
        "rows": N_("Rows"),
    },
    **FIELDS_OF_KIND,
}

COMMON_FIELDS: dict[str, str] = {
    **FIELD_LABELS,
    "patient_id": N_("Patient"),
    "visit_id": N_("Visit"),
    "visit_date": N_("Visit date"),
    "status": N_("Status"),
    "state": N_("State"),
    "reason": N_("Reason"),
    "retracted": N_("Retracted"),
    "retracted_at": N_("Retracted at"),
    "note": N_("Note"),
    "notes": N_("Notes"),
    "decision": N_("Decision"),
    "recorded_by": N_("Recorded by"),
    "signed_by": N_("Signed by"),
    "signed_at": N_("Signed at"),
    "email": N_("Email"),
    "name": N_("Name"),
    "role": N_("Role"),
}

# The headline of a record: what a retraction or a signature of it is about.
_INSTRUMENTS = {"act": "ACT", "c_act": "C-ACT", "acq5": "ACQ-5", "acq6": "ACQ-6", "acq7": "ACQ-7"}


def _score_headline(fields: Mapping[str, Any], _: Gettext) -> str | None:
    if "score" not in fields:
        return None
    raw = str(fields.get("instrument") or "")
    instrument = _INSTRUMENTS.get(raw, raw.upper().replace("_", "-"))
    return _("%(instrument)s score %(score)s") % {
        "instrument": instrument,
        "score": _plain(fields["score"]),
    }


def _decision_headline(fields: Mapping[str, Any], _: Gettext) -> str | None:
    decision = fields.get("decision")
    return None if decision is None else _("decision %(decision)s") % {"decision": decision}


HEADLINES: dict[str, Callable[[Mapping[str, Any], Gettext], str | None]] = {
    "questionnaire_response": _score_headline,
    "follow_up_check_in": _score_headline,
    "screening": _decision_headline,
}

LONG_TEXT = 120


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None  # None: the field was not there before (a creation)
    after: str | None  # None: the field is not there after (a deletion)


@dataclass(frozen=True)
class Entry:
    seq: int
    when: str
    actor: str
    kind: str
    entity_type: str
    entity_id: str
    action: str
    summary: str
    changes: list[Change] = field(default_factory=list)
    reason: str | None = None


def humanise(name: str) -> str:
    """``rescue_puffs_per_week`` → "Rescue puffs per week"."""
    words = name.replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else name


def label(entity_type: str, field_name: str, _: Gettext) -> str:
    """A field's label in the reader's language, or its humanised name."""
    known = FIELDS.get(entity_type, {}).get(field_name) or COMMON_FIELDS.get(field_name)
    return _(known) if known else humanise(field_name)


def kind_label(entity_type: str, _: Gettext) -> str:
    known = KINDS.get(entity_type)
    return _(known) if known else humanise(entity_type)


def action_label(action: str, _: Gettext) -> str:
    known = ACTIONS.get(action)
    return _(known) if known else humanise(action).lower()


def role_label(role: str, _: Gettext) -> str:
    known = ROLES.get(role)
    return _(known) if known else role


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_text(value: Any, _: Gettext, *, limit: int | None = LONG_TEXT) -> str:
    """A stored value as a person reads it: yes/no, an empty mark, numbers without a
    trailing ".0", lists and objects compactly; long text cut at ``limit``."""
    if value is None or value == "":
        text = "—"
    elif isinstance(value, bool):
        text = _("yes") if value else _("no")
    elif isinstance(value, int | float):
        text = _plain(value)
    elif isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        text = ", ".join(_plain(v) for v in value) or "—"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    else:
        text = str(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def fields_of(raw: str | Mapping[str, Any] | None) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        loaded = json.loads(raw)
        return loaded if isinstance(loaded, dict) else {"value": loaded}
    return dict(raw)


def headline(entity_type: str, fields: Mapping[str, Any], _: Gettext) -> str | None:
    """What a record of this kind is, in a few words (its score, its decision)."""
    make = HEADLINES.get(entity_type)
    return make(fields, _) if make else None


def place_parts(place: str) -> tuple[str, str, str]:
    """Where a member of staff read a patient's record, and what: the English text of
    the place and of the kind of record read (marked for translation; "" for none), and
    the rest as it is (a record's id, or the path read)."""
    if place in PLACES:
        return PLACES[place], "", ""
    channel, _, what = place.partition(":")
    kind, _, rest = what.partition(" ")
    if kind in KINDS:
        return CHANNELS.get(channel, channel), KINDS[kind], rest
    return CHANNELS.get(channel, channel), "", what


def place_text(place: str, gettext: Gettext) -> str:
    """``place_parts`` in words: "the API (a program): Screening 12"."""
    where, kind, rest = place_parts(place)
    what = f"{gettext(kind)} {rest}" if kind else rest
    return f"{gettext(where)}: {what.strip()}" if what else gettext(where)


def when_text(at: dt.datetime, lang: str) -> str:
    """A stored UTC moment in the clinic's time zone, in the reader's language."""
    zone = ZoneInfo(clinic_zone())
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return format_datetime(at, format="medium", tzinfo=zone, locale=lang)


def describe(
    record: Any,
    _: Gettext,
    lang: str,
    *,
    headlines: Mapping[tuple[str, str], str] | None = None,
    limit: int | None = LONG_TEXT,
) -> Entry:
    """One audit record (anything with the record's attributes; before/after as stored
    JSON text or as dictionaries) as an ``Entry`` in the reader's language."""
    etype, eid, action = record.entity_type, str(record.entity_id), record.action
    before, after = fields_of(record.before), fields_of(record.after)
    reason = record.reason or None
    changes: list[Change] = []
    what = (headlines or {}).get((etype, eid)) or headline(etype, after or before, _)
    if action == "retract":
        summary = " → ".join(p for p in (what, action_label(action, _)) if p)
        reason = reason or (str(after["reason"]) if after.get("reason") else None)
    else:
        keys = list(after) + [k for k in before if k not in after]
        for key in keys:
            changes.append(
                Change(
                    label(etype, key, _),
                    value_text(before[key], _, limit=limit) if key in before else None,
                    value_text(after[key], _, limit=limit) if key in after else None,
                )
            )
        summary = action_label(action, _)
        if what and action != "create":
            summary = f"{what}: {summary}"
    if reason:
        summary = _("%(summary)s, reason: %(reason)s") % {"summary": summary, "reason": reason}
    return Entry(
        seq=record.seq,
        when=when_text(record.at, lang),
        actor=f"{record.actor_name} ({role_label(record.actor_role, _)})",
        kind=kind_label(etype, _),
        entity_type=etype,
        entity_id=eid,
        action=action_label(action, _),
        summary=summary,
        changes=changes,
        reason=reason,
    )


def change_line(change: Change) -> str:
    """A change on one line: "Date of birth: 1980-03-14 → 1980-03-15"."""
    if change.before is None:
        return f"{change.label}: {change.after}"
    if change.after is None:
        return f"{change.label}: {change.before} → —"
    return f"{change.label}: {change.before} → {change.after}"
