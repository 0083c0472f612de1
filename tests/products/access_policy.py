"""Who may use each of the cell product's routes: the access policy written out by hand
(``tests/app/test_access_matrix.py`` collects every step's ``POLICY`` and walks it).

The laboratory does the work (donors, harvests, lots, QC, release and recall, units,
labels, dose preparation); physicians read lots, units and chains (they prescribe from
them); nurses read a unit's chain and record hand-overs at the ward; admins read
everything and alone write new versions of the release specifications. Donor screening
results are for the laboratory and admins only. Coordinators and patients see nothing
of the laboratory."""

from __future__ import annotations

from typing import Any

from respira.kit.actors import Role

A, PH, NU, LAB = Role.ADMIN, Role.PHYSICIAN, Role.NURSE, Role.LAB
READ = frozenset({A, PH, LAB})
CHAIN = frozenset({A, PH, NU, LAB})
ONLY_LAB = frozenset({LAB})

POLICY: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/donors"): ONLY_LAB,
    ("GET", "/api/v1/donors"): frozenset({A, LAB}),
    ("POST", "/api/v1/harvests"): ONLY_LAB,
    ("GET", "/api/v1/harvests/{harvest_id}"): READ,
    ("POST", "/api/v1/lots"): ONLY_LAB,
    ("GET", "/api/v1/lots"): READ,
    ("GET", "/api/v1/lots/{lot_id}"): READ,
    ("POST", "/api/v1/lots/{lot_id}/passages"): ONLY_LAB,
    ("POST", "/api/v1/lots/{lot_id}/storage"): ONLY_LAB,
    ("GET", "/api/v1/release-specifications/current"): READ,
    ("POST", "/api/v1/release-specifications"): frozenset({A}),
    ("POST", "/api/v1/lots/{lot_id}/qc"): ONLY_LAB,
    ("POST", "/api/v1/lots/{lot_id}/release"): ONLY_LAB,
    ("POST", "/api/v1/lots/{lot_id}/recall"): ONLY_LAB,
    ("POST", "/api/v1/lots/{lot_id}/quarantine"): ONLY_LAB,
    ("POST", "/api/v1/lots/{lot_id}/discard"): ONLY_LAB,
    ("POST", "/api/v1/lots/{lot_id}/units"): ONLY_LAB,
    ("GET", "/api/v1/units/{din}"): CHAIN,
    ("GET", "/api/v1/units/{din}/chain"): CHAIN,
    ("POST", "/api/v1/units/{din}/custody"): frozenset({LAB, NU}),
    ("GET", "/api/v1/units/{din}/label.pdf"): ONLY_LAB,
    ("GET", "/api/v1/patients/{patient_id}/unit-chains"): CHAIN,
    ("POST", "/api/v1/courses/{course_id}/dose-preparations"): ONLY_LAB,
    ("GET", "/api/v1/courses/{course_id}/dose-preparations"): READ,
    ("GET", "/lab"): READ,
    ("GET", "/lab/donors"): frozenset({A, LAB}),
    ("GET", "/lab/donors/new"): ONLY_LAB,
    ("POST", "/lab/donors"): ONLY_LAB,
    ("GET", "/lab/harvests/new"): ONLY_LAB,
    ("POST", "/lab/harvests"): ONLY_LAB,
    ("GET", "/lab/lots/new"): ONLY_LAB,
    ("POST", "/lab/lots"): ONLY_LAB,
    ("GET", "/lab/lots/{lot_id}"): READ,
    ("POST", "/lab/lots/{lot_id}/qc"): ONLY_LAB,
    ("POST", "/lab/lots/{lot_id}/passages"): ONLY_LAB,
    ("POST", "/lab/lots/{lot_id}/storage"): ONLY_LAB,
    ("POST", "/lab/lots/{lot_id}/release"): ONLY_LAB,
    ("POST", "/lab/lots/{lot_id}/recall"): ONLY_LAB,
    ("POST", "/lab/lots/{lot_id}/quarantine"): ONLY_LAB,
    ("POST", "/lab/lots/{lot_id}/discard"): ONLY_LAB,
    ("POST", "/lab/lots/{lot_id}/units"): ONLY_LAB,
    ("GET", "/lab/units/{din}"): CHAIN,
    ("POST", "/lab/units/{din}/custody"): frozenset({LAB, NU}),
    ("GET", "/lab/units/{din}/label.pdf"): ONLY_LAB,
    ("GET", "/lab/courses/{course_id}/dose-preparations"): ONLY_LAB,
    ("POST", "/lab/courses/{course_id}/dose-preparations"): ONLY_LAB,
    ("GET", "/lab/specifications"): READ,
    ("POST", "/lab/specifications"): frozenset({A}),
}


def access_ids(db: Any, patient_id: int) -> dict[str, Any]:
    from tests.products.helpers import seed_lot

    with db.transaction() as session:
        return seed_lot(session, patient_id=patient_id)
