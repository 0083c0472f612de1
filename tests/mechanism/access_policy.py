"""Who may use the mechanism step's routes (``tests/app/test_access_matrix.py`` collects
every step's ``POLICY``): the model's page is public, in every language. The staff's
view of it (opened from a patient's page with ``?patient=ID``) is the same route; what
it adds for staff is decided in the service and tested in test_mechanism_pages.py."""

from __future__ import annotations

from typing import Any

POLICY: dict[tuple[str, str], Any] = {
    ("GET", "/model"): "public",
}
