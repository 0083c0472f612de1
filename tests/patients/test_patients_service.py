def test_the_registry_listing_pages_by_id_and_is_for_admins_only(db, make_patient):
    import pytest as _pytest

    from respira.kit.actors import Actor, Role
    from respira.kit.errors import Forbidden
    from respira.patients import service as patients

    ids = [make_patient() for _ in range(5)]
    admin = Actor(user_id=1, role=Role.ADMIN, name="a")
    with db.session() as s:
        assert patients.patient_ids(s, admin, limit=2) == ids[:2]
        assert patients.patient_ids(s, admin, after=ids[1], limit=10) == ids[2:]
        assert patients.patient_count(s, admin) == 5
        for role in (Role.PATIENT, Role.NURSE, Role.COORDINATOR):
            with _pytest.raises(Forbidden):
                patients.patient_ids(s, Actor(user_id=2, role=role, name="x", patient_id=ids[0]))
