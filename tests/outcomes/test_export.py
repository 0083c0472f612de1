"""The de-identified export: no direct identifier leaves the clinic (every name, email,
phone, record number and date of birth of the source searched for in every file, CSV
and Parquet), dates move back by one keyed offset per patient so intervals stay exact,
ages over 89 are grouped, re-exports are stable, the report's figures come out of the
file, filters, the audit record, the refusals, and the command line."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from respira.app.cli import app as cli
from respira.kit.actors import Actor, Role
from respira.kit.audit import AuditRecord
from respira.kit.config import get_settings
from respira.kit.errors import Forbidden, InvalidInput
from respira.outcomes import export
from respira.outcomes.registry import DUE_STATES, MEASURES, STATES, CohortFilter, load_cohort
from respira.outcomes.report import DAYS_PER_YEAR, build_report
from respira.outcomes.synthetic import SyntheticCounts, generate
from respira.science.outcomes import paired_change, rate_ratio, responders
from tests.outcomes.export_helpers import (
    EXPORT_KEY,
    OTHER_KEY,
    Registry,
    build_registry,
    export_key,  # noqa: F401 (fixture)
    number,
    read_csv,
)

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

OPERATOR = Actor.system("test export")
DATE_COLUMNS = ("treated_on", "due_date", "window_start", "window_end", "answered_on", "exit_on")


def _export(db: Any, out: Path, fmt: str = "csv", **filters: Any) -> export.ExportResult:
    with db.session(write=True) as session:
        return export.export_to_folder(
            session, OPERATOR, out, fmt, CohortFilter(**filters), as_of=dt.date.today()
        )


def _leaks(folder: Path, identifiers: list[str]) -> list[str]:
    """The identifiers found in an export: in any value of its data files (CSV as
    written, Parquet decoded, with its schema and metadata) other than the two hash
    columns, which must be 16 hexadecimal characters (a short name could be spelled by
    hex digits by chance), and as a word in the data dictionary."""
    cells: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            cells += [s for s in identifiers if re.search(rf"\b{re.escape(s)}\b", text, re.I)]
            continue
        if path.suffix == ".parquet":
            rows = [
                {k: "" if v is None else str(v) for k, v in r.items()}
                for r in pq.read_table(path).to_pylist()
            ]
            meta = pq.read_metadata(path).metadata or {}
            cells += [str(pq.read_schema(path)), *(str(v) for v in meta.values())]
        else:
            rows = read_csv(path)
        for row in rows:
            for column in ("patient_key", "course_key"):
                assert re.fullmatch(r"[0-9a-f]{16}", row.pop(column)), path
            cells += row.values()
    text = "\n".join(cells).lower()
    return sorted({s for s in identifiers if s.lower() in text})


def _source_identifiers(db: Any) -> list[str]:
    """Every name, email, phone (as written and its digits), record number (and its
    digits) and date of birth in the patients table."""
    with db.session() as session:
        rows = session.execute(
            sa.text(
                "SELECT first_name, last_name, email, phone, medical_record_number, "
                "date_of_birth FROM patients"
            )
        ).all()
    found = []
    for first, last, email, phone, mrn, born in rows:
        found += [first, last, email, phone, "".join(c for c in phone if c.isdigit()), mrn]
        found += [mrn.split("-")[1], str(born)[:10]]
    return found


@pytest.fixture
def registry(db: Any, export_key: str) -> Registry:  # noqa: F811
    """A registry to export, with the export key set."""
    return build_registry(db)


@pytest.fixture
def synthetic(db: Any, export_key: str) -> SyntheticCounts:  # noqa: F811
    """The synthetic registry's patients and courses (respira demo registry), with the
    export key set."""
    with db.transaction() as session:
        return generate(session, 60, seed=11)


@pytest.fixture
def unkeyed(db: Any, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A registry, and no export key in the settings."""
    monkeypatch.delenv("RESPIRA_OUTCOMES_EXPORT_KEY", raising=False)
    get_settings.cache_clear()
    return build_registry(db)


def _by_course(registry: Registry, rows: list[dict[str, str]]) -> dict[str, int]:
    """The registry row id of each exported course key (the test knows the key)."""
    names = export.Pseudonyms(EXPORT_KEY)
    keys = {names.course_key("synthetic", cid, None): cid for cid in registry.courses}
    return {row["course_key"]: keys[row["course_key"]] for row in rows}


def test_no_name_email_phone_record_number_or_birth_date_of_the_source_is_in_any_file(
    db, registry, tmp_path
):
    identifiers = sorted({*_source_identifiers(db), *registry.identifiers()})
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        result = _export(db, out, fmt)
        assert set(result.files) == {p.name for p in out.iterdir()}
        assert _leaks(out, identifiers) == [], fmt
        for path in out.iterdir():  # the key never leaves
            assert EXPORT_KEY.encode() not in path.read_bytes()
    # The check finds an identifier where there is one.
    leaked = tmp_path / "csv" / "outcomes.csv"
    name = registry.identifiers()[2]
    leaked.write_text(leaked.read_text().replace(",completed,", f",{name},", 1))
    assert name in _leaks(tmp_path / "csv", identifiers)


def test_the_synthetic_registrys_patients_leave_no_identifier_in_the_export(
    db, synthetic, tmp_path
):
    counts = synthetic
    identifiers = _source_identifiers(db)
    assert len(identifiers) == 8 * counts.patients
    for fmt in ("csv", "parquet"):
        result = _export(db, tmp_path / fmt, fmt)
        assert result.patients == counts.patients and result.rows == 4 * counts.courses
        assert _leaks(tmp_path / fmt, identifiers) == [], fmt


def test_every_date_moves_back_by_the_patients_offset_and_intervals_stay_exact(
    db, registry, tmp_path
):
    _export(db, tmp_path)
    rows = read_csv(tmp_path / "outcomes.csv")
    names = export.Pseudonyms(EXPORT_KEY)
    course_of = _by_course(registry, rows)
    offsets: dict[str, set[int]] = {}
    for row in rows:
        cid = course_of[row["course_key"]]
        source = registry.courses[cid]
        window = registry.windows[(cid, int(row["window_month"]))]
        assert row["patient_key"] == names.patient_key(source["patient_id"])
        real = {
            "treated_on": source["treated_on"],
            "exit_on": source["exit_on"],
            **{k: window[k] for k in ("due_date", "window_start", "window_end", "answered_on")},
        }
        for column in DATE_COLUMNS:
            if real[column] is None:
                assert row[column] == ""
                continue
            shifted = dt.date.fromisoformat(row[column])
            assert shifted != real[column]  # no real date
            offsets.setdefault(row["patient_key"], set()).add((real[column] - shifted).days)
        if row["answered_on"]:
            exported = dt.date.fromisoformat(row["answered_on"]) - dt.date.fromisoformat(
                row["treated_on"]
            )
            assert exported == window["answered_on"] - source["treated_on"]
    assert len(offsets) == len(registry.patients)
    for key, found in offsets.items():
        assert len(found) == 1, f"{key} has several offsets: {found}"
        (days,) = found
        assert 1 <= days <= export.SHIFT_MAX_DAYS
    # The offsets differ between patients (one offset for all would keep the calendar).
    assert len({next(iter(days)) for days in offsets.values()}) > len(offsets) // 2


def test_the_shift_and_the_keys_come_from_the_key_stable_across_exports_and_new_with_a_new_key(
    db, registry, tmp_path, monkeypatch
):
    first = _export(db, tmp_path / "a")
    again = _export(db, tmp_path / "b")
    assert first.export_id != again.export_id and first.key_id == again.key_id
    a = read_csv(tmp_path / "a" / "outcomes.csv")
    b = read_csv(tmp_path / "b" / "outcomes.csv")
    assert a == b  # a re-export links row by row
    monkeypatch.setenv("RESPIRA_OUTCOMES_EXPORT_KEY", OTHER_KEY)
    get_settings.cache_clear()
    other = _export(db, tmp_path / "c")
    c = read_csv(tmp_path / "c" / "outcomes.csv")
    assert other.key_id != first.key_id
    assert not {r["patient_key"] for r in a} & {r["patient_key"] for r in c}
    assert [r["treated_on"] for r in a] != [r["treated_on"] for r in c]
    # The shift is 1 to 364 days whatever the key and the patient.
    shifts = [
        export.Pseudonyms(k).shift_days(p) for k in (EXPORT_KEY, OTHER_KEY) for p in range(500)
    ]
    assert min(shifts) >= 1 and max(shifts) <= 364 and len(set(shifts)) > 200


def test_ages_over_89_are_one_group_and_the_rest_whole_years(db, registry, tmp_path):
    _export(db, tmp_path)
    rows = read_csv(tmp_path / "outcomes.csv")
    course_of = _by_course(registry, rows)
    for row in rows:
        age = registry.courses[course_of[row["course_key"]]]["age"]
        assert row["age"] == ("90+" if age > 89 else str(age))
    assert {"90+", "89"} <= {row["age"] for row in rows}
    assert [export.age_group(a) for a in (18, 89, 90, 104)] == ["18", "89", "90+", "90+"]


def test_rows_are_sorted_by_patient_key_not_in_the_order_of_the_record(db, registry, tmp_path):
    _export(db, tmp_path)
    rows = read_csv(tmp_path / "outcomes.csv")
    order = [
        (r["patient_key"], int(r["course_number"]), r["course_key"], int(r["window_month"]))
        for r in rows
    ]
    assert order == sorted(order)
    assert len(rows) == 4 * len(registry.courses)
    events = read_csv(tmp_path / "adverse_events.csv")
    assert [e["patient_key"] for e in events] == sorted(e["patient_key"] for e in events)


def _column(rows: list[dict[str, str]], name: str) -> np.ndarray:
    return np.array([number(r[name]) for r in rows], dtype=float)


def test_the_reports_figures_are_reproduced_from_the_csv(db, synthetic, tmp_path):
    """Completeness, paired change of every measure at every window, the responders by
    each definition, and the exacerbation rate ratio: the report on the day of the
    export, and the same statistics computed from nothing but the CSV."""
    result = _export(db, tmp_path)
    rows = read_csv(tmp_path / "outcomes.csv")
    with db.session() as session:
        report = build_report(load_cohort(session, CohortFilter(), dt.date.today()), min_cell=1)
    assert report["n_treated"] == result.courses == len({r["course_key"] for r in rows})
    assert report["n_patients"] == result.patients == len({r["patient_key"] for r in rows})
    by_month = {m: [r for r in rows if r["window_month"] == m] for m in ("1", "3", "6", "12")}
    for month, window in by_month.items():
        expected = report["windows"][month]
        for state in STATES:
            assert sum(r["state"] == state for r in window) == expected[state], (month, state)
        for measure in MEASURES:
            found = paired_change(_column(window, f"{measure}_baseline"), _column(window, measure))
            figures = expected["measures"][measure]
            assert found.n == figures["n"], (month, measure)
            if found.n:
                assert found.mean_change == pytest.approx(figures["mean_change"], abs=1e-12)
                assert found.median_change == pytest.approx(figures["median_change"], abs=1e-12)
            if found.ci95 is not None:
                assert list(found.ci95) == pytest.approx(figures["ci95"], abs=1e-12)
    for measure in ("act", "acq", "rescue_puffs_per_week", "fev1_l"):  # the contract's
        assert all(report["windows"][m]["measures"][measure]["n"] >= 3 for m in by_month)
    # Responders at the report's window; the exacerbation responder over all follow-up
    # (the annualised rate after treatment against the 12 months before).
    window = by_month[str(report["responders_window"])]
    courses = by_month["1"]  # one row per course
    years = _column(courses, "exposure_days_after") / DAYS_PER_YEAR
    after = _column(courses, "exacerbations_after")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_after = np.where(years > 0, after / years, np.nan)
    # Eligible: the courses whose window has come due (any window, for the exacerbations).
    due = np.array([row["state"] in DUE_STATES for row in window])
    first_due = np.array([row["state"] in DUE_STATES for row in courses])

    def eligible(rows: list[dict[str, str]], name: str, mask: np.ndarray) -> np.ndarray:
        return np.where(mask, _column(rows, name), np.nan)

    pairs = {
        "act_3": (eligible(window, "act_baseline", due), _column(window, "act")),
        "acq_0_5": (eligible(window, "acq_baseline", due), _column(window, "acq")),
        "fev1_100ml": (eligible(window, "fev1_l_baseline", due), _column(window, "fev1_l")),
        "ocs_50pct": (
            eligible(window, "ocs_mg_per_day_baseline", due),
            _column(window, "ocs_mg_per_day"),
        ),
        "exacerbations_50pct": (
            eligible(courses, "exacerbations_12m_baseline", first_due),
            rate_after,
        ),
    }
    assert set(pairs) == set(report["responders"])
    for key, (baseline, follow_up) in pairs.items():
        found = responders(key, baseline, follow_up)
        figures = report["responders"][key]
        assert (found.n, found.responders, found.n_eligible) == (
            figures["n"],
            figures["responders"],
            figures["n_eligible"],
        ), key
        assert found.rate == pytest.approx(figures["rate"], abs=1e-12)
    before = _column(courses, "exacerbations_12m_baseline")
    ratio = rate_ratio(before, np.ones_like(before), after, years)
    assert ratio is not None and ratio.n == report["exacerbations"]["n"] > 0
    assert ratio.rate_ratio == pytest.approx(report["exacerbations"]["rate_ratio"], rel=1e-9)
    assert list(ratio.ci95) == pytest.approx(report["exacerbations"]["ci95"], rel=1e-9)


def test_window_values_are_those_of_the_record_and_only_when_answered(db, registry, tmp_path):
    _export(db, tmp_path, "parquet")
    table = pq.read_table(tmp_path / "outcomes.parquet").to_pylist()
    names = export.Pseudonyms(EXPORT_KEY)
    keys = {names.course_key("synthetic", cid, None): cid for cid in registry.courses}
    for row in table:
        cid = keys[row["course_key"]]
        window = registry.windows[(cid, row["window_month"])]
        answered = window["answered_on"] is not None
        assert row["state"] in (
            ("completed", "completed_late") if answered else ("missed", "open", "upcoming", "died")
        )
        for m in MEASURES:
            assert row[m] == (window[m] if answered else None)
            assert row[f"{m}_baseline"] == registry.courses[cid][f"{m}_baseline"]
    # The patient who died: windows after the death are "died".
    assert {row["state"] for row in table} >= {"completed", "missed", "died", "upcoming"}


def test_parquet_holds_the_same_rows_as_the_csv_with_types(db, registry, tmp_path):
    _export(db, tmp_path / "csv", "csv")
    _export(db, tmp_path / "pq", "parquet")
    rows = read_csv(tmp_path / "csv" / "outcomes.csv")
    table = pq.read_table(tmp_path / "pq" / "outcomes.parquet")
    assert table.column_names == [name for name, _ in export.OUTCOME_COLUMNS]
    assert table.schema.field("treated_on").type == pa.date32()
    assert table.schema.field("act").type == pa.float64()
    assert table.schema.field("window_month").type == pa.int64()
    assert table.schema.field("synthetic").type == pa.bool_()
    assert table.schema.field("age").type == pa.string()
    back = table.to_pylist()
    assert len(back) == len(rows)
    for text_row, typed in zip(rows, back, strict=True):
        for name, kind in export.OUTCOME_COLUMNS:
            value, text = typed[name], text_row[name]
            if value is None:
                assert text == ""
            elif kind == "float":
                assert float(text) == value  # the CSV's text reads back as the same float
            elif kind == "bool":
                assert text == ("true" if value else "false")
            else:
                assert text == (value.isoformat() if kind == "date" else str(value))
    events = pq.read_table(tmp_path / "pq" / "adverse_events.parquet").to_pylist()
    assert events == [
        {
            **e,
            "grade": int(e["grade"]),
            "onset_day": int(e["onset_day"]),
            "serious": e["serious"] == "true",
            "related": e["related"] == "true",
        }
        for e in read_csv(tmp_path / "csv" / "adverse_events.csv")
    ]


def test_the_adverse_events_file_has_the_events_relative_to_treatment(db, registry, tmp_path):
    _export(db, tmp_path)
    events = read_csv(tmp_path / "adverse_events.csv")
    assert [name for name, _ in export.AE_COLUMNS] == list(events[0])
    with db.session() as session:
        count = session.scalar(sa.text("SELECT COUNT(*) FROM outcome_adverse_events"))
    assert len(events) == count > 0
    assert {e["term"] for e in events} <= {"Fever", "Headache", "Chills"}
    outcome_keys = {r["course_key"] for r in read_csv(tmp_path / "outcomes.csv")}
    assert {e["course_key"] for e in events} <= outcome_keys


def test_a_filter_exports_only_its_courses(db, registry, tmp_path):
    result = _export(db, tmp_path, sex="female", age_min=30)
    rows = read_csv(tmp_path / "outcomes.csv")
    expected = [c for c in registry.courses.values() if c["sex"] == "female" and c["age"] >= 30]
    assert result.courses == len(expected) and len(rows) == 4 * len(expected) > 0
    assert {r["sex"] for r in rows} == {"female"}
    assert result.filters == {"sex": "female", "age_min": "30"}
    dictionary = (tmp_path / "data_dictionary.md").read_text()
    assert "age_min=30, sex=female" in dictionary


def test_the_export_is_audited_with_who_when_which_filter_and_how_many_rows(db, registry, tmp_path):
    admin = Actor(user_id=None, role=Role.ADMIN, name="Dr Admin")
    with db.session(write=True) as session:
        result = export.export_to_folder(
            session, admin, tmp_path, "csv", CohortFilter(gina_step=5), as_of=dt.date.today()
        )
    with db.session() as session:
        rec = session.scalars(
            sa.select(AuditRecord).where(AuditRecord.entity_type == "outcomes_export")
        ).one()
        past = export.past_exports(session, admin)
    assert (rec.actor_name, rec.actor_role, rec.action) == ("Dr Admin", "admin", "export")
    assert rec.entity_id == result.export_id
    facts = json.loads(rec.after)
    assert facts["filters"] == {"gina_step": "5"} and facts["rows"] == result.rows > 0
    assert facts["patients"] == result.patients and facts["format"] == "csv"
    assert EXPORT_KEY not in rec.after
    assert [(p.export_id, p.rows, p.filters) for p in past] == [
        (result.export_id, result.rows, {"gina_step": "5"})
    ]


def test_without_a_key_the_export_is_refused_and_nothing_is_written(db, unkeyed, tmp_path):
    assert get_settings().outcomes_export_key is None
    with pytest.raises(InvalidInput) as refused, db.session(write=True) as session:
        export.export_to_folder(session, OPERATOR, tmp_path / "out", "csv", CohortFilter())
    assert "RESPIRA_OUTCOMES_EXPORT_KEY" in refused.value.errors["__all__"]
    assert not (tmp_path / "out").exists()
    with db.session() as session:
        assert (
            session.scalar(
                sa.select(sa.func.count(AuditRecord.id)).where(
                    AuditRecord.entity_type == "outcomes_export"
                )
            )
            == 0
        )


def test_only_admins_and_the_operator_may_export(db, registry, tmp_path):
    doctor = Actor(user_id=None, role=Role.PHYSICIAN, name="Dr Who")
    with pytest.raises(Forbidden), db.session(write=True) as session:
        export.export_to_folder(session, doctor, tmp_path, "csv", CohortFilter())
    assert list(tmp_path.iterdir()) == []


def test_bad_format_or_filter_values_are_refused_naming_each_field():
    with pytest.raises(InvalidInput) as refused:
        export.parse_request({"format": "xlsx", "age_min": "old", "colour": "blue"})
    assert set(refused.value.errors) == {"format", "age_min", "colour"}
    fmt, filters = export.parse_request({"format": "parquet", "sex": "male", "gina_step": "4"})
    assert (fmt, filters) == ("parquet", CohortFilter(sex="male", gina_step=4))
    assert export.parse_request({})[0] == "csv"


def test_parquet_without_pyarrow_is_refused_naming_the_extra(db, registry, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    assert not export.parquet_available()
    with pytest.raises(InvalidInput) as refused, db.session(write=True) as session:
        export.export_to_folder(session, OPERATOR, tmp_path, "parquet", CohortFilter())
    assert "model" in refused.value.errors["format"]
    assert list(tmp_path.iterdir()) == []
    _export(db, tmp_path, "csv")  # CSV needs no pyarrow


def test_the_data_dictionary_documents_every_column_and_the_method_but_not_the_key(
    db, registry, tmp_path
):
    result = _export(db, tmp_path)
    text = (tmp_path / "data_dictionary.md").read_text()
    for name, _ in (*export.OUTCOME_COLUMNS, *export.AE_COLUMNS):
        assert f"`{name}`" in text, name
    for state in STATES:
        assert f"`{state}`" in text
    assert "HMAC-SHA256" in text and "1 to 364" in text and "90+" in text
    assert "data-use agreement" in text and "not** applied" in text
    assert result.export_id in text and result.key_id in text
    assert EXPORT_KEY not in text


def test_an_export_to_the_folder_of_an_earlier_one_replaces_its_files(db, registry, tmp_path):
    _export(db, tmp_path, "csv")
    (tmp_path / "notes.txt").write_text("the researcher's own file")
    _export(db, tmp_path, "parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "adverse_events.parquet",
        "data_dictionary.md",
        "notes.txt",
        "outcomes.parquet",
    ]
    assert "Format: parquet" in (tmp_path / "data_dictionary.md").read_text()


def test_an_export_of_many_rows_streams_in_batches(db, registry, tmp_path, monkeypatch):
    batch = export.FETCH_ROWS
    hold = export.HOLD_ROWS
    monkeypatch.setattr(export, "FETCH_ROWS", 7)  # batches smaller than a course's rows
    monkeypatch.setattr(export, "HOLD_ROWS", 10)  # bucket files written many times
    small = _export(db, tmp_path / "small")
    monkeypatch.setattr(export, "FETCH_ROWS", batch)
    monkeypatch.setattr(export, "HOLD_ROWS", hold)
    large = _export(db, tmp_path / "large")
    assert small.rows == large.rows
    assert (tmp_path / "small" / "outcomes.csv").read_text() == (
        tmp_path / "large" / "outcomes.csv"
    ).read_text()


# --- the command line --------------------------------------------------------------------


def _cli(db: Any, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("RESPIRA_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, ["outcomes", "export", *args])
    finally:
        monkeypatch.delenv("RESPIRA_DATABASE_URL")
        get_settings.cache_clear()


def test_the_command_writes_the_files_with_a_filter_and_audits(db, registry, tmp_path, monkeypatch):
    out = tmp_path / "export"
    done = _cli(db, monkeypatch, "--out", str(out), "--format", "parquet", "--filter", "sex=male")
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in out.iterdir()) == [
        "adverse_events.parquet",
        "data_dictionary.md",
        "outcomes.parquet",
    ]
    assert set(pq.read_table(out / "outcomes.parquet").column("sex").to_pylist()) == {"male"}
    with db.session() as session:
        rec = session.scalars(
            sa.select(AuditRecord).where(AuditRecord.entity_type == "outcomes_export")
        ).one()
    assert rec.actor_name == "respira outcomes export"
    assert json.loads(rec.after)["filters"] == {"sex": "male"}


def test_the_command_refuses_without_a_key_a_bad_filter_or_format(
    db, unkeyed, tmp_path, monkeypatch
):
    no_key = _cli(db, monkeypatch, "--out", str(tmp_path / "a"))
    assert no_key.exit_code == 2 and "RESPIRA_OUTCOMES_EXPORT_KEY" in no_key.output
    monkeypatch.setenv("RESPIRA_OUTCOMES_EXPORT_KEY", EXPORT_KEY)
    bad = _cli(
        db, monkeypatch, "--out", str(tmp_path / "b"), "--format", "xls", "--filter", "sexx=f"
    )
    assert bad.exit_code == 2 and "format" in bad.output and "sexx" in bad.output
    malformed = _cli(db, monkeypatch, "--out", str(tmp_path / "c"), "--filter", "female")
    assert malformed.exit_code == 2 and "key=value" in malformed.output
    assert not any((tmp_path / d).exists() for d in ("a", "b", "c"))
