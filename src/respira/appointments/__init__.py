"""Appointments: slots staff publish, bookings by patients and coordinators, iCalendar
invitations."""

from respira.kit.step import Step

STEP = Step(
    name="appointments",
    package=__name__,
    has_templates=False,
)
