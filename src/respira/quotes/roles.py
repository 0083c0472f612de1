"""Who may do what with prices, quotes and invoices (least privilege;
tests/quotes/access_policy.py).

Admins edit the price lists (with the discounts and who may give them) and the currency
rates. Coordinators build quotes, send them, record how a patient accepted or declined
them, issue invoices, record payments and write credit notes; admins may do the same,
because some discounts are for admins alone and corrections (credit notes) are theirs
too. Physicians read prices, quotes and invoices (they talk costs through with the
patient). A patient sees their own quotes once sent, accepts them in the portal, and
sees their own invoices. Nurses and the laboratory have no part in billing.
"""

from __future__ import annotations

from respira.kit.actors import Role

PRICE_ADMIN_ROLES = frozenset({Role.ADMIN})
PRICE_READ_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.PHYSICIAN})
STAFF_READ_ROLES = PRICE_READ_ROLES
WRITE_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})
READ_ROLES = STAFF_READ_ROLES | {Role.PATIENT}
# Accepting a quote: staff record how it was obtained; a patient accepts their own.
ACCEPT_ROLES = WRITE_ROLES | {Role.PATIENT}
# The roles a price list's discount may be given by: "coordinator" (coordinators and
# admins) or "admin" (admins only).
DISCOUNT_GIVERS: dict[str, frozenset[Role]] = {
    "coordinator": frozenset({Role.COORDINATOR, Role.ADMIN}),
    "admin": frozenset({Role.ADMIN}),
}
