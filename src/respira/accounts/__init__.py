"""Accounts: users with roles, sign-in with lockout, sessions and bearer tokens, and the
password re-check behind e-signatures. It provides the kit with who a request belongs
to (``identity``) and the signature's password check."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Step

STEP = Step(
    name="accounts",
    package=__name__,
    routers=(
        "api:router",
        "pages:router",
        "reset_pages:router",
        "reset_api:router",
        "two_factor_pages:router",
    ),
    nav=(Nav(N_("Accounts"), "/admin/users", frozenset({Role.ADMIN}), 90),),
    worklists=("worklist:items",),
    provides={
        "identity": "service:",
        "password_check": "service:reverify_password",
        "password_precheck": "service:precheck_password",
    },
)
