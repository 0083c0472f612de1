"""The iCalendar (RFC 5545) entry of an appointment, as sent with its invitation and
offered for download.

A booking sends ``METHOD:REQUEST`` (RFC 5546 iTIP): calendar programs offer to add the
event. A cancellation sends ``METHOD:CANCEL`` with the same ``UID`` and the next
``SEQUENCE`` and ``STATUS:CANCELLED``, so that the entry already in the patient's
calendar is removed rather than a second one added. Times are written in the slot's
time zone (``DTSTART;TZID=Europe/Berlin:...``) with its ``VTIMEZONE`` (the zone's rules
for the years around the appointment), so a calendar shows the right wall-clock time
also across a change to or from summer time. The organiser is the clinic's sending
address; the patient and the member of staff who holds the slot are the attendees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar

PRODID = "-//Respira//Appointments//EN"
CONTENT_TYPE = {
    "REQUEST": "text/calendar; method=REQUEST",
    "CANCEL": "text/calendar; method=CANCEL",
}


@dataclass(frozen=True)
class CalendarEntry:
    """What the calendar entry says; ``method`` is "REQUEST" or "CANCEL"."""

    uid: str
    sequence: int
    method: str
    start: dt.datetime
    end: dt.datetime
    time_zone: str
    summary: str
    description: str
    organizer_email: str
    organizer_name: str
    attendee_email: str | None
    attendee_name: str
    host_email: str | None
    host_name: str
    stamp: dt.datetime


def _address(email: str, name: str, **params: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    address.params["cn"] = name
    for key, value in params.items():
        address.params[key] = value
    return address


def calendar_bytes(entry: CalendarEntry) -> bytes:
    zone = ZoneInfo(entry.time_zone)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", entry.method)
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("sequence", entry.sequence)
    event.add("dtstamp", entry.stamp.astimezone(dt.UTC))
    event.add("dtstart", entry.start.astimezone(zone))
    event.add("dtend", entry.end.astimezone(zone))
    event.add("summary", entry.summary)
    event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _address(entry.organizer_email, entry.organizer_name))
    if entry.attendee_email:
        event.add(
            "attendee",
            _address(
                entry.attendee_email,
                entry.attendee_name,
                role="REQ-PARTICIPANT",
                partstat="ACCEPTED",
                rsvp="FALSE",
            ),
        )
    if entry.host_email:
        event.add(
            "attendee",
            _address(entry.host_email, entry.host_name, role="CHAIR", partstat="ACCEPTED"),
        )
    cal.add_component(event)
    # The zone's rules for the years around the appointment (not since 1970: smaller).
    cal.add_missing_timezones(
        first_date=entry.start.date() - dt.timedelta(days=366),
        last_date=entry.end.date() + dt.timedelta(days=366),
    )
    return bytes(cal.to_ical())
