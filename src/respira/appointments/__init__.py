"""Appointments: slots staff publish, bookings by patients and coordinators, iCalendar
invitations."""

from respira.appointments.roles import STAFF_ROLES
from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step

STEP = Step(
    name="appointments",
    package=__name__,
    sections=(Section(75, "appointments/_section.html", "pages:patient_section"),),
    nav=(
        Nav(N_("Appointments"), "/appointments", STAFF_ROLES, 60),
        Nav(N_("My appointments"), "/my/appointments", frozenset({Role.PATIENT}), 20),
    ),
)
