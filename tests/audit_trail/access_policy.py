"""Who may use each of this step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, CO, LAB, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.LAB, Role.PATIENT
PUBLIC = "public"
EVERYONE_SIGNED_IN = frozenset(Role)

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/api/v1/audit"): frozenset({A}),
    ("GET", "/audit"): frozenset({A}),
    ("GET", "/api/v1/audit/export"): frozenset({A}),
    ("GET", "/audit/export"): frozenset({A}),
    ("GET", "/my/record-access"): frozenset({PT}),
}
