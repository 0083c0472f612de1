"""A patient reaches only their own signed summaries: another patient's summary, signed
or not, and every draft, including their own, is "not found" (404), never forbidden, so
nothing tells them it exists. Nurses read signed summaries but no draft; coordinators and
the laboratory have no part in them (403)."""

from __future__ import annotations

import pytest

from tests.conftest import PageClient, sign_in


@pytest.fixture
def two(sc, road):
    """The road's patient with a signed summary and a draft, and another patient with
    a signed summary."""
    other = sc.clinic.eligible_patient(first_name="Other", email="other-pt@mail.example")
    return {
        "signed": sc.signed(road.pid).id,
        "draft": sc.draft(road.pid).id,
        "other": sc.signed(other).id,
        "other_pid": other,
    }


def _patient_api(app, account):
    from tests.conftest import api_token

    c = PageClient(app)
    c.headers["Authorization"] = f"Bearer {api_token(c, account)}"
    return c


def test_a_patient_downloads_their_own_signed_summary_and_nothing_else(app, road, two):
    with _patient_api(app, road.patient) as api:
        own = api.get(f"/api/v1/summaries/{two['signed']}.pdf")
        assert own.status_code == 200 and own.content.startswith(b"%PDF-")
        assert api.get(f"/api/v1/summaries/{two['signed']}.pdf?lang=en").status_code == 200
        for summary_id in (two["other"], two["draft"]):
            assert api.get(f"/api/v1/summaries/{summary_id}.pdf").status_code == 404
            assert api.get(f"/api/v1/summaries/{summary_id}").status_code == 404
        listed = api.get(f"/api/v1/patients/{road.pid}/summaries").json()
        assert [s["id"] for s in listed] == [two["signed"]]
        assert api.get(f"/api/v1/patients/{two['other_pid']}/summaries").status_code == 404
        assert (
            api.post(
                f"/api/v1/summaries/{two['signed']}/revisions", json={"what_changed": "x"}
            ).status_code
            == 403
        )


def test_a_patients_pages_show_only_their_own_signed_summaries(app, road, two):
    with PageClient(app) as page:
        sign_in(page, road.patient)
        mine = page.get("/my/summaries")
        assert mine.status_code == 200
        assert f'href="/summaries/{two["signed"]}.pdf"' in mine.text
        assert f"/summaries/{two['draft']}" not in mine.text
        assert f"/summaries/{two['other']}" not in mine.text
        assert page.get(f"/summaries/{two['signed']}.pdf").status_code == 200
        assert page.get(f"/summaries/{two['other']}.pdf").status_code == 404
        assert page.get(f"/summaries/{two['draft']}.pdf").status_code == 404


def test_a_nurse_reads_signed_summaries_but_no_draft(api_as, road, two):
    nurse = api_as("nurse")
    assert nurse.get(f"/api/v1/summaries/{two['signed']}.pdf").status_code == 200
    assert nurse.get(f"/api/v1/summaries/{two['draft']}.pdf").status_code == 404
    listed = nurse.get(f"/api/v1/patients/{road.pid}/summaries").json()
    assert [s["status"] for s in listed] == ["signed"]


@pytest.mark.parametrize("role", ["coordinator", "lab"])
def test_coordinators_and_the_laboratory_have_no_part_in_summaries(api_as, road, two, role):
    client = api_as(role)
    assert client.get(f"/api/v1/summaries/{two['signed']}.pdf").status_code == 403
    assert client.get(f"/api/v1/patients/{road.pid}/summaries").status_code == 403


def test_signed_summaries_for_other_steps_follow_the_same_rules(db, sc, road, two):
    from respira.kit.errors import Forbidden, NotFound
    from respira.summaries import service

    with db.session() as s:
        own = service.signed_summaries(s, road.patient.actor, road.pid)
        assert [x.id for x in own] == [two["signed"]]
        assert own[0].pdf.startswith(b"%PDF-") and own[0].status == "current"
        with pytest.raises(NotFound):
            service.signed_summaries(s, road.patient.actor, two["other_pid"])
        with pytest.raises(Forbidden):
            service.signed_summaries(s, sc.clinic.lab.actor, road.pid)


def test_an_admin_previews_a_draft_but_may_not_write_or_sign(api_as, road, two):
    admin = api_as("admin")
    draft = admin.get(f"/api/v1/summaries/{two['draft']}.pdf")
    assert draft.status_code == 200 and draft.headers["X-Summary-Status"] == "draft"
    sign = admin.post(
        f"/api/v1/summaries/{two['draft']}/sign",
        json={"password": "x", "meaning": "approved summary"},
    )
    assert sign.status_code == 403
