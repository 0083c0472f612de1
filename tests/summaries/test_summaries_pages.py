"""The physician's pages: the "Medical summaries" section of the patient's page starts a
draft, the summary's page saves the recommendations, shows the preview exactly as it
prints (charts as images, tables readable at 390 px), signs with the password (a wrong
one is refused next to the password field), offers the downloads, and starts a
correction."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def doc(page_as):
    return page_as("physician")


def _location(r):
    assert r.status_code == 303, r.text[:2000]
    return r.headers["location"]


def _start(doc, pid, **form):
    r = doc.post_form(
        f"/patients/{pid}/summaries",
        {"kind": "discharge", "language": "de", **form},
        follow_redirects=False,
    )
    return int(re.match(r"/summaries/(\d+)\?created=1", _location(r)).group(1))


def test_the_patient_page_lists_summaries_and_starts_a_draft(doc, road):
    page = doc.get(f"/patients/{road.pid}")
    assert 'id="summaries"' in page.text and 'id="new-summary"' in page.text
    summary_id = _start(doc, road.pid)
    page = doc.get(f"/summaries/{summary_id}?created=1")
    assert page.status_code == 200
    assert "The draft was started" in page.text
    assert 'id="sign-form"' in page.text and 'id="draft-form"' in page.text
    # The preview: every section, German words (the patient's language), the chart.
    for key in ("identity", "diagnosis", "course", "follow_up", "limits"):
        assert f'id="section-{key}"' in page.text
    assert "Diagnose" in page.text and 'src="data:image/svg+xml;base64,' in page.text
    assert 'class="table-scroll"' in page.text and ' style="' not in page.text
    english = doc.get(f"/summaries/{summary_id}?copy=en")
    assert "Diagnosis" in english.text
    listed = doc.get(f"/patients/{road.pid}")
    assert f'href="/summaries/{summary_id}"' in listed.text


def test_a_form_with_a_kind_that_does_not_exist_is_shown_again_with_the_error(doc, road):
    r = doc.post_form(f"/patients/{road.pid}/summaries", {"kind": "letter", "language": "de"})
    assert r.status_code == 422
    assert 'id="e-kind"' in r.text or "kind" in r.text
    r = doc.post_form(f"/patients/{road.pid}/summaries", {"kind": "discharge", "language": "sv"})
    assert r.status_code == 422 and "summaries are written in" in r.text


def test_the_physician_writes_signs_and_corrects_through_the_pages(doc, road):
    summary_id = _start(doc, road.pid)
    page = f"/summaries/{summary_id}"
    r = doc.post_form(
        f"{page}/sign", {"password": PASSWORD, "meaning": "approved summary"}, csrf_from=page
    )
    assert r.status_code == 422 and "write the recommendations" in r.text
    revision = re.search(r'name="draft_revision" value="(\d+)"', doc.get(page).text).group(1)
    r = doc.post_form(
        f"{page}/draft",
        {"recommendations": "Weiter wie bisher.", "draft_revision": revision},
        csrf_from=page,
        follow_redirects=False,
    )
    assert _location(r) == f"{page}?saved=1"
    stale = doc.post_form(
        f"{page}/draft", {"recommendations": "Anders.", "draft_revision": revision}, csrf_from=page
    )
    assert stale.status_code == 409
    wrong = doc.post_form(
        f"{page}/sign",
        {"password": "not my password", "meaning": "approved summary"},
        csrf_from=page,
    )
    assert wrong.status_code == 403 and 'id="e-password"' in wrong.text
    r = doc.post_form(
        f"{page}/sign",
        {"password": PASSWORD, "meaning": "approved summary"},
        csrf_from=page,
        follow_redirects=False,
    )
    assert _location(r) == f"{page}?signed=1"
    signed = doc.get(f"{page}?signed=1")
    assert 'id="pdf"' in signed.text and 'id="pdf-en"' in signed.text
    assert 'id="revise-form"' in signed.text and 'id="sign-form"' not in signed.text
    pdf = doc.get(f"{page}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    r = doc.post_form(f"{page}/revisions", {"what_changed": "   "}, csrf_from=page)
    assert r.status_code == 422
    r = doc.post_form(
        f"{page}/revisions",
        {"what_changed": "Empfehlung ergänzt."},
        csrf_from=page,
        follow_redirects=False,
    )
    correction = _location(r)
    assert correction.endswith("?revised=1") and correction != f"{page}?revised=1"
    shown = doc.get(correction)
    assert "Empfehlung ergänzt." in shown.text and 'id="f-what_changed"' in shown.text


def test_a_nurse_reads_a_signed_summary_page_without_forms(page_as, sc, road):
    signed = sc.signed(road.pid)
    nurse = page_as("nurse")
    page = nurse.get(f"/summaries/{signed.id}")
    assert page.status_code == 200 and 'id="pdf"' in page.text
    assert '<form method="post" action="/summaries' not in page.text
    section = nurse.get(f"/patients/{road.pid}")
    assert 'id="new-summary"' not in section.text and f"/summaries/{signed.id}.pdf" in section.text
