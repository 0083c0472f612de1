"""Cost quotes: versioned price lists, quotes by procedure, severity and stay, their
acceptance, invoices with payments and credit notes, and currency rates."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Section, Step
from respira.quotes.roles import STAFF_READ_ROLES

STEP = Step(
    name="quotes",
    package=__name__,
    routers=(
        "api:router",
        "pages:router",
        "price_pages:router",
        "invoice_pages:router",
        "portal_pages:router",
    ),
    sections=(Section(75, "quotes/_section.html", "pages:patient_section"),),
    nav=(
        Nav(N_("Quotes"), "/quotes", STAFF_READ_ROLES, 68),
        Nav(N_("My quotes"), "/my/quotes", frozenset({Role.PATIENT}), 7),
    ),
    listens={"logistics.stay_booked": "service:on_stay_booked"},
)
