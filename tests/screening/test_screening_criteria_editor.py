"""The screening criteria for people (issue 14): every criterion shown as readable rules
(condition, window, source) without fact keys or internal markers, in English, German
and Russian; the structured editor whose form writes the TOML the loader reads (round
trip), refuses what does not fit with sentences for people, previews the change's
effect on the current patients without writing anything, and stores a new version as
the TOML editor does (audited; admins only)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from respira.diagnostics.snapshot import ClinicalSnapshot
from respira.kit.audit import AuditRecord
from respira.kit.validation import today_utc
from respira.screening import criteria_editor as editor
from respira.screening import loader, service
from respira.screening.catalogue import FACTS
from respira.screening.models import ScreeningCriteriaSet

DEFAULT_VERSION = "respira-default-2026.12"
RAW = re.compile(r"\[(?:[KVU]\b|ref:)|clinical\.md")


def shipped() -> loader.CriteriaSet:
    return loader.load(service.shipped_default_text())


def texts_of(r: editor.Readable) -> list[str]:
    out = [r.kind_text, *r.windows, *r.verification, *(p.text for p in r.source)]
    stack = [r.condition]
    while stack:
        c = stack.pop()
        out.append(c.text)
        stack += c.parts
    return out


# --- readable rules --------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "de", "ru"])
def test_every_shipped_criterion_reads_in_words_without_keys_or_markers(lang):
    rules = editor.readable_set(shipped(), lang)
    assert len(rules) == len(shipped().criteria)
    keys = [name for name in FACTS if "_" in name]
    for r in rules:
        for text in texts_of(r):
            assert not RAW.search(text), (r.id, text)
            assert not [k for k in keys if k in text], (r.id, text)
        assert r.windows and r.source


def test_conditions_windows_and_sources_read_as_clinicians_write_them():
    rules = {r.id: r for r in editor.readable_set(shipped(), "en")}
    spirometry = rules["uncontrolled_asthma"].condition.parts[-1]
    assert spirometry.text == "all of these:"
    assert [p.text for p in spirometry.parts][-1] == (
        "FEV1/FVC post-bronchodilator z-score below −1.645 (recorded in the 180 days before "
        "screening)"
    )
    tb = rules["tb_screened"].condition.parts[1].parts[1].text
    assert tb == "no active tuberculosis (recorded in the 4 weeks before screening)"
    infection = rules["active_infection"]
    assert infection.condition.text == "Met when any of these holds:"
    assert (
        infection.condition.parts[1].text == "active tuberculosis in the 4 weeks before screening"
    )
    assert infection.windows == (
        "4 weeks up to the screening date (a “no” counts only when recorded on the screening date)",
    )
    assert rules["adult_age"].condition.text == "age between 18 and 65 years"
    cardiac = rules["severe_cardiac_disease"]
    trial = next(p for p in cardiac.source if p.text == "NCT00683722")
    assert trial.url == "https://clinicaltrials.gov/study/NCT00683722"
    assert trial.title and "COPD" in trial.title
    reference = next(p for p in cardiac.source if p.text == "Respira clinical reference")
    assert reference.title == editor.CLINICAL_REFERENCE_TITLE
    assert cardiac.verification == (
        "from knowledge of the source; to be checked against it again (NYHA cut-off)",
    )


def test_a_rule_in_german_and_russian():
    de = {r.id: r for r in editor.readable_set(shipped(), "de")}
    ru = {r.id: r for r in editor.readable_set(shipped(), "ru")}
    assert de["severe_renal_failure"].condition.parts[0].text.startswith("eGFR unter 30")
    assert de["adult_age"].kind_text == "Einschluss"
    assert "4 Wochen" in de["active_infection"].windows[0]
    assert ru["adult_age"].kind_text == "Включение"
    assert "4 нед." in ru["active_infection"].condition.parts[0].text


def test_the_set_page_shows_readable_rules_and_keeps_the_toml_for_experts(page_as, api_as):
    made = api_as("admin").post("/api/v1/screening/criteria-sets", json={"toml": copy()}).json()
    for lang, word in (("en", "Condition"), ("de", "Bedingung"), ("ru", "Условие")):
        page = page_as("physician").get(f"/screening/criteria/{made['id']}?lang={lang}")
        assert page.status_code == 200
        shown = re.sub(r"<details>.*?</details>", "", page.text, flags=re.S)
        assert f"<dt>{word}</dt>" in shown
        assert not RAW.search(shown)
        assert not [k for k in FACTS if "_" in k and k in shown]
        assert 'href="https://clinicaltrials.gov/study/NCT03137199"' in shown
        assert "egfr_ml_min_1_73m2" in page.text  # the TOML text, folded away
    assert "−1.645" in html.unescape(page_as("admin").get(f"/screening/criteria/{made['id']}").text)


# --- form and TOML ---------------------------------------------------------------------


def test_the_set_written_as_toml_loads_back_to_the_same_set():
    parsed = shipped()
    assert loader.load(editor.to_toml(parsed)) == parsed


def test_every_shipped_criterion_goes_through_the_form_unchanged():
    for c in shipped().criteria:
        form = editor.criterion_form(c)
        assert "c_fixed" not in form, c.id
        got, errors = editor.criterion_from_form(
            form, taken_ids=[], kept_rule=None, gettext=lambda s: s
        )
        assert errors == {} and got == c, c.id


def test_a_form_edit_becomes_toml_the_loader_reads():
    parsed = shipped()
    index = next(i for i, c in enumerate(parsed.criteria) if c.id == "severe_renal_failure")
    form = editor.criterion_form(parsed.criteria[index])
    assert form["r0_fact"] == "egfr_ml_min_1_73m2" and form["r0_value"] == "30"
    form.update(r0_value="45", r1_window="60", c_description="Severe renal failure (clinic)")
    changed, errors = editor.criterion_from_form(
        form, taken_ids=[], kept_rule=None, gettext=lambda s: s
    )
    assert errors == {} and changed is not None
    text = editor.to_toml(editor.with_criterion(parsed, index, changed))
    again = loader.load(text).criteria[index]
    assert again.rule.parts[0] == loader.Leaf(  # type: ignore[union-attr]
        "egfr_ml_min_1_73m2", "lt", 45, "mL/min/1.73m²", 90
    )
    assert again.rule.parts[1].window_days == 60  # type: ignore[union-attr]
    assert again.description == "Severe renal failure (clinic)"


def test_a_deeper_rule_is_kept_as_it_is():
    deep = loader.Group(
        "any",
        (
            loader.Leaf("pneumonia", "eq", True, None, 28),
            loader.Group(
                "all",
                (
                    loader.Leaf("dialysis", "eq", True),
                    loader.Group("any", (loader.Leaf("pregnant", "eq", True),)),
                ),
            ),
        ),
    )
    c = loader.Criterion("deep_rule", "exclusion", "Deep", "Local rule", True, deep)
    form = editor.criterion_form(c)
    assert form["c_fixed"] == "yes"
    got, errors = editor.criterion_from_form(
        form, taken_ids=[], kept_rule=deep, gettext=lambda s: s
    )
    assert errors == {} and got == c


def row_form(**row: str) -> dict[str, str]:
    form = {
        "c_id": "local_rule",
        "c_kind": "suitability",
        "c_description": "A local rule",
        "c_source": "Clinic protocol 2027",
        "c_required": "yes",
        "c_mode": "any",
        "c_rows": "2",
        "r0_fact": "act_score",
        "r0_op": "le",
        "r0_value": "19",
        "r0_window": "90",
    }
    form.update(row)
    return form


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"r0_fact": "act_scor"}, "r0_fact", "Choose a fact from the list."),
        (
            {"r0_fact": "pneumonia", "r0_op": "lt", "r0_value": "yes"},
            "r0_op",
            "This comparison does not apply to pneumonia; choose one of: is, is not.",
        ),
        (
            {"r0_value": "190"},
            "r0_value",
            "Enter a threshold between 5 and 25: ACT score lies in that range.",
        ),
        ({"r0_value": "many"}, "r0_value", "Enter a number, for example 72 or 1.5."),
        ({"r0_window": "0"}, "r0_window", "Enter a whole number of days from 1 to 36500."),
        (
            {"r0_window": "", "r0_up": "yes"},
            "r0_window",
            "Enter the window in days: “up to the screening date” needs the window it covers.",
        ),
        (
            {"r0_fact": "age_years", "r0_op": "between", "r0_value": "65; 18"},
            "r0_value",
            "Enter the lower number first, for example 18; 65.",
        ),
        (
            {"r0_fact": "sex_at_birth", "r0_op": "eq", "r0_value": "other"},
            "r0_value",
            "Enter one of: female, male.",
        ),
        (
            {"c_kind": "exclusion", "c_required": ""},
            "c_required",
            "An exclusion is always required: unknown data in an exclusion must be reviewed. "
            "For an advisory check choose “Suitability”.",
        ),
        ({"c_id": "Local Rule"}, "c_id", "Enter a short name of lower-case letters"),
        ({"c_id": "taken_rule"}, "c_id", "Another criterion of this set has this name"),
        ({"c_description": " "}, "c_description", "This is required: fill it in."),
        ({"c_source": ""}, "c_source", "Cite where the rule comes from"),
        ({"r0_fact": "", "r0_value": ""}, "c_rows", "Add at least one condition."),
        (
            {
                "r0_fact": "last_exacerbation",
                "r0_op": "within_days",
                "r0_value": "28",
                "r0_supporting": "yes",
            },
            "c_rows",
            "A “supporting evidence only” condition must sit in an “any of these” group",
        ),
    ],
)
def test_the_form_refuses_what_does_not_fit_with_a_sentence_for_people(change, field, message):
    got, errors = editor.criterion_from_form(
        row_form(**change), taken_ids=["taken_rule"], kept_rule=None, gettext=lambda s: s
    )
    assert got is None
    assert str(errors[field]).startswith(message), errors


def test_errors_are_translated_where_they_are_shown(page_as):
    admin = page_as("admin")
    start = admin.get("/screening/criteria/edit")
    draft = html.unescape(
        re.search(r'<textarea name="draft" hidden>(.*?)</textarea>', start.text, re.S).group(1)
    )
    r = admin.post_form(
        "/screening/criteria/edit?lang=de",
        {**state(draft), "action": "apply", "editing": "99", **row_form(r0_value="190")},
    )
    assert r.status_code == 422
    assert "Geben Sie einen Schwellenwert zwischen 5 und 25 ein" in html.unescape(r.text)


# --- the editor's pages ----------------------------------------------------------------


def copy(version: str = "clinic-2027.01") -> str:
    return service.shipped_default_text().replace(
        f'version = "{DEFAULT_VERSION}"', f'version = "{version}"'
    )


def draft_of(text: str) -> str:
    found = re.search(r'<textarea name="draft" hidden>(.*?)</textarea>', text, re.S)
    assert found, "no draft in the page"
    return html.unescape(found.group(1))


def state(draft: str, **header: str) -> dict[str, str]:
    return {
        "draft": draft,
        "version": header.get("version", f"{DEFAULT_VERSION}-local1"),
        "title": header.get("title", "Clinic screen"),
        "description": header.get("description", ""),
        "based_on_id": "",
        "activate": header.get("activate", ""),
    }


def criterion_fields(text: str) -> dict[str, str]:
    """The criterion form's fields as the page fills them in."""
    out: dict[str, str] = {}
    for name, value in re.findall(
        r'<input id="f-([rc]\w*)" name="\1" type="text" value="([^"]*)"', text
    ):
        out[name] = html.unescape(value)
    for name, body in re.findall(r'<select id="f-([rc]\w*)" name="\1">(.*?)</select>', text, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        out[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(
        r'<textarea id="f-(c_\w+)" name="\1"[^>]*>(.*?)</textarea>', text, re.S
    ):
        out[name] = html.unescape(body)
    for name in re.findall(
        r'<input (?:id="f-\w+" )?type="checkbox" name="([rc]\w+)" value="yes" checked', text
    ):
        out[name] = "yes"
    out["c_rows"] = re.search(r'name="c_rows" value="(\d+)"', text).group(1)
    return out


def test_an_admin_changes_a_threshold_previews_and_stores_a_new_version(db, page_as, count_rows):
    admin = page_as("admin")
    start = admin.get("/screening/criteria/edit")
    assert start.status_code == 200
    draft = draft_of(start.text)
    assert loader.load(draft).version == f"{DEFAULT_VERSION}-local1"
    index = [c.id for c in loader.load(draft).criteria].index("severe_renal_failure")

    opened = admin.post_form(
        "/screening/criteria/edit", {**state(draft), "action": f"edit:{index}"}
    )
    assert opened.status_code == 200
    fields = criterion_fields(opened.text)
    assert fields["r0_fact"] == "egfr_ml_min_1_73m2" and fields["r0_value"] == "30"
    assert fields["c_required"] == "yes"

    more = admin.post_form(
        "/screening/criteria/edit",
        {**state(draft), **fields, "editing": str(index), "action": "add_row"},
    )
    assert 'name="r3_fact"' in more.text  # one more blank row

    fields["r0_value"] = "45"
    applied = admin.post_form(
        "/screening/criteria/edit",
        {**state(draft), **fields, "editing": str(index), "action": "apply"},
    )
    assert applied.status_code == 200, applied.text
    assert "eGFR below 45 mL/min/1.73m²" in applied.text
    draft = draft_of(applied.text)

    before = count_rows()
    previewed = admin.post_form("/screening/criteria/edit", {**state(draft), "action": "preview"})
    assert previewed.status_code == 200
    assert "No patient was screened in the last 12 months" in previewed.text
    assert count_rows() == before  # the preview writes nothing

    bad = admin.post_form(
        "/screening/criteria/edit", {**state(draft, version="x"), "action": "save"}
    )
    assert bad.status_code == 422
    assert "Enter a version of 3 to 64 letters" in bad.text

    stored = admin.post_form(
        "/screening/criteria/edit",
        {**state(draft, activate="yes"), "action": "save"},
        follow_redirects=False,
    )
    assert stored.status_code == 303, stored.text
    with db.session() as session:
        row = session.scalars(
            select(ScreeningCriteriaSet).where(
                ScreeningCriteriaSet.version == f"{DEFAULT_VERSION}-local1"
            )
        ).one()
        assert row.is_active and row.title == "Clinic screen"
        renal = next(
            c for c in loader.load(row.toml_text).criteria if c.id == "severe_renal_failure"
        )
        assert renal.rule.parts[0].value == 45  # type: ignore[union-attr]
        actions = session.scalars(
            select(AuditRecord.action).where(
                AuditRecord.entity_type == "screening_criteria_set",
                AuditRecord.entity_id == str(row.id),
            )
        ).all()
    assert sorted(actions) == ["activate", "create"]
    shown = admin.get(stored.headers["location"])
    assert "Criteria set stored." in shown.text and "eGFR below 45" in shown.text

    again = admin.post_form("/screening/criteria/edit", {**state(draft), "action": "save"})
    assert again.status_code == 409  # versions are kept for ever
    assert "exists already" in again.text


def test_removing_adding_and_the_expert_text_of_a_draft(page_as):
    admin = page_as("admin")
    draft = draft_of(admin.get("/screening/criteria/edit").text)
    count = len(loader.load(draft).criteria)
    removed = admin.post_form("/screening/criteria/edit", {**state(draft), "action": "remove:0"})
    smaller = loader.load(draft_of(removed.text))
    assert len(smaller.criteria) == count - 1
    assert "active_infection" not in [c.id for c in smaller.criteria]

    new = admin.post_form(
        "/screening/criteria/edit", {**state(draft_of(removed.text)), "action": "add"}
    )
    assert f'name="editing" value="{count - 1}"' in new.text
    added = admin.post_form(
        "/screening/criteria/edit",
        {
            **state(draft_of(removed.text)),
            **row_form(),
            "editing": str(count - 1),
            "action": "apply",
        },
    )
    assert added.status_code == 200
    assert loader.load(draft_of(added.text)).criteria[-1].id == "local_rule"

    expert = admin.post_form(
        "/screening/criteria/edit", {**state(draft_of(added.text)), "action": "expert"}
    )
    toml = html.unescape(
        re.search(r'name="toml"[^>]*>(.*?)</textarea>', expert.text, re.S).group(1)
    )
    parsed = loader.load(toml)
    assert parsed.version == f"{DEFAULT_VERSION}-local1" and parsed.criteria[-1].id == "local_rule"

    lost = admin.post_form("/screening/criteria/edit", {"draft": "not toml", "action": "save"})
    assert lost.status_code == 422 and "could not be read" in lost.text


def test_only_admins_edit_criteria(page_as):
    doc = page_as("physician")
    assert doc.get("/screening/criteria/edit").status_code == 403
    assert doc.post_form("/screening/criteria/edit", {"action": "preview"}).status_code == 403
    listing = doc.get("/screening/criteria")
    assert "/screening/criteria/edit" not in listing.text


# --- the preview on seeded patients -------------------------------------------------------


@pytest.fixture
def preview_snapshots(monkeypatch: pytest.MonkeyPatch, snapshots: dict[int, ClinicalSnapshot]):
    """The preview reads the same diagnostics table as the screenings of these tests."""

    def provider(_session: Any, ids: Any, **_kw: Any) -> dict[int, ClinicalSnapshot]:
        return {i: snapshots.get(i, ClinicalSnapshot(patient_id=i)) for i in ids}

    monkeypatch.setattr(editor, "clinical_snapshots", provider)
    return snapshots


def audit_count(db) -> int:
    """Audit events of screening records (not the sign-ins of the test's clients)."""
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditRecord)
                .where(AuditRecord.entity_type.like("screening%"))
            )
            or 0
        )


def test_the_preview_counts_decisions_and_lists_the_patients_whose_decision_changes(
    db, doc, candidate, make_patient, preview_snapshots, page_as, count_rows
):
    near = candidate(first_name="Nora", last_name="Near", findings={"egfr_ml_min_1_73m2": 40.0})
    well = candidate(first_name="Wim", last_name="Well")
    low = candidate(first_name="Lou", last_name="Low", findings={"egfr_ml_min_1_73m2": 25.0})
    candidate(first_name="Una", last_name="Unscreened")  # never screened: not previewed
    for pid in (near, well, low):
        r = doc.post(f"/api/v1/patients/{pid}/screenings")
        assert r.status_code == 201, r.text
    decisions = {
        pid: doc.get(f"/api/v1/patients/{pid}/screenings").json()[0]["decision"]
        for pid in (near, well, low)
    }
    assert decisions == {near: "eligible", well: "eligible", low: "not_eligible"}

    text = copy().replace('op = "lt", value = 30,', 'op = "lt", value = 45,')
    rows, audits = count_rows(), audit_count(db)
    with db.session() as session:
        result = editor.preview(session, loader.load(text), today_utc())
    assert result.patients == 3
    assert result.current == {"eligible": 2, "needs_review": 0, "not_eligible": 1}
    assert result.edited == {"eligible": 1, "needs_review": 0, "not_eligible": 2}
    assert [(c.patient_id, c.current, c.edited) for c in result.changed] == [
        (near, "eligible", "not_eligible")
    ]
    assert result.current_version == DEFAULT_VERSION

    # The TOML editor's preview shows the same, and nothing is written by either.
    page = page_as("admin").post_form(
        "/screening/criteria", {"toml": text, "based_on_id": "", "action": "preview"}
    )
    assert page.status_code == 200
    assert 'data-decision="eligible" data-set="current">2<' in page.text
    assert 'data-decision="not_eligible" data-set="edited">2<' in page.text
    changed = re.search(r'<table id="preview-changed">.*?</table>', page.text, re.S).group(0)
    assert "Nora Near" in changed and "Wim Well" not in changed and "Lou Low" not in changed
    assert count_rows() == rows and audit_count(db) == audits


# --- in the browser, at 390 px -------------------------------------------------------------


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


@pytest.mark.browser
def test_an_admin_reads_and_edits_the_criteria_at_390_px(live_server, page, make_account):
    from tests.conftest import browser_sign_in

    admin = make_account("admin", email="ada@clinic.example.org")
    page.set_viewport_size({"width": 390, "height": 844})
    browser_sign_in(page, live_server, "/screening/criteria/edit", admin.email)
    _fits(page)
    assert page.locator("dl.rule li", has_text="eGFR below 30 mL/min/1.73m²").count() == 1
    with page.expect_navigation():
        page.click("button[value='edit:2']")
    assert page.input_value("#f-r0_value") == "30"
    _fits(page)
    page.fill("#f-r0_value", "45")
    with page.expect_navigation():
        page.click("button[value=apply]")
    assert page.locator("dl.rule li", has_text="eGFR below 45 mL/min/1.73m²").count() == 1
    with page.expect_navigation():
        page.click("button[value=preview]")
    assert page.locator("#preview").count() == 1
    _fits(page)
    page.check("input[name=activate]")
    with page.expect_navigation():
        page.click("button[value=save]")
    assert "Criteria set stored." in page.locator("main").inner_text()
    _fits(page)
    assert page.locator("dl.rule li", has_text="eGFR below 45 mL/min/1.73m²").count() == 1
    page.click("summary:has-text('The TOML text')")
    _fits(page)
    page.goto(f"{live_server}/screening/criteria?lang=ru")
    _fits(page)
    page.goto(f"{live_server}/screening/criteria/new")
    _fits(page)
