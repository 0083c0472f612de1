"""Who may use each of this step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, CO, LAB, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.LAB, Role.PATIENT
PUBLIC = "public"
EVERYONE_SIGNED_IN = frozenset(Role)

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
    ("POST", "/api/v1/auth/token"): PUBLIC,
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    # An account id that names nothing: an administrator is answered 404, which the
    # matrix counts as served.
    return {"user_id": 999_999}
