from tests.conftest import patient_data


def test_healthz_answers_ok_with_database_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


def test_coordinator_creates_and_reads_a_patient(api_as):
    c = api_as("coordinator")
    r = c.post("/api/v1/patients", json=patient_data())
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = c.get(f"/api/v1/patients/{pid}")
    assert r.status_code == 200
    assert r.json()["last_name"] == "Lindqvist"
