"""Who may use each of this step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it)."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, CO, LAB, PT = Role.ADMIN, Role.PHYSICIAN, Role.COORDINATOR, Role.LAB, Role.PATIENT
PUBLIC = "public"
EVERYONE_SIGNED_IN = frozenset(Role)

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/language"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    # The browsable API description: public like the document it shows (no data in
    # it; integrators read it before they have an account).
    ("GET", "/api/v1/docs"): PUBLIC,
}
