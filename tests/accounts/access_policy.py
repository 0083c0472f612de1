"""Who may use each of this step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, CO, LAB, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.LAB, Role.PATIENT
PUBLIC = "public"
EVERYONE_SIGNED_IN = frozenset(Role)
STAFF = frozenset(Role) - {PT}

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): EVERYONE_SIGNED_IN,
    ("GET", "/account/password"): EVERYONE_SIGNED_IN,
    ("POST", "/account/password"): EVERYONE_SIGNED_IN,
    ("GET", "/admin/users"): frozenset({A}),
    ("POST", "/admin/users"): frozenset({A}),
    ("GET", "/admin/users/{user_id}"): frozenset({A}),
    ("POST", "/admin/users/{user_id}/deactivate"): frozenset({A}),
    ("POST", "/admin/users/{user_id}/activate"): frozenset({A}),
    ("POST", "/admin/users/{user_id}/unlock"): frozenset({A}),
    ("POST", "/admin/users/{user_id}/reset-two-factor"): frozenset({A}),
    ("GET", "/account/two-factor"): STAFF,
    ("POST", "/account/two-factor/enable"): STAFF,
    ("POST", "/account/two-factor/disable"): STAFF,
    ("GET", "/login/code"): PUBLIC,
    ("POST", "/login/code"): PUBLIC,
    ("GET", "/login/two-factor"): PUBLIC,
    ("POST", "/login/two-factor"): PUBLIC,
    ("GET", "/admin/two-factor"): frozenset({A}),
    ("POST", "/admin/two-factor"): frozenset({A}),
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/password-reset"): PUBLIC,
    ("POST", "/password-reset"): PUBLIC,
    ("GET", "/password-reset/{token}"): PUBLIC,
    ("POST", "/password-reset/{token}"): PUBLIC,
    ("POST", "/admin/users/{user_id}/reset-password"): frozenset({A}),
    ("POST", "/api/v1/auth/password-reset"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset/complete"): PUBLIC,
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    # An account id that names nothing: an administrator is answered 404, which the
    # matrix counts as served.
    return {"user_id": 999_999}
