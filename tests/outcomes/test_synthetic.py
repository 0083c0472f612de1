"""The synthetic registry generator: deterministic by seed, the counts it reports are the
rows it wrote, plausible values within the tables' rules, missing data rising with
month, and windows still ahead for recent treatment dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import sqlalchemy as sa

from respira.kit.db import Database
from respira.outcomes import synthetic
from respira.outcomes.registry import CohortFilter, load_cohort
from respira.patients import service as patients

TODAY = dt.date(2026, 12, 6)
TABLES = ("outcome_adverse_events", "outcome_windows", "outcome_exits", "outcome_courses")


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every synthetic row without ids and timestamps, in a stable order."""
    with db.session() as session:
        people = session.execute(
            sa.text(
                "SELECT medical_record_number, first_name, last_name, date_of_birth, "
                "sex_at_birth, country, email, phone, height_cm FROM patients ORDER BY id"
            )
        ).all()
        courses = session.execute(
            sa.text(
                "SELECT course_number, treated_on, cell_source, dose_million_cells_per_kg, "
                "phenotype, gina_step, baseline_control, sex, age_years, act_baseline, "
                "acq_baseline, fev1_l_baseline, exacerbations_after, exposure_days_after, "
                "first_exacerbation_day, exit_kind, exit_on FROM outcome_courses ORDER BY id"
            )
        ).all()
        windows = session.execute(
            sa.text(
                "SELECT month, due_date, answered_on, act, acq, rescue_puffs_per_week, fev1_l, "
                "exacerbations FROM outcome_windows ORDER BY id"
            )
        ).all()
        events = session.execute(
            sa.text(
                "SELECT term, grade, serious, onset_day FROM outcome_adverse_events ORDER BY id"
            )
        ).all()
    return {
        "patients": [tuple(r) for r in people],
        "courses": [tuple(r) for r in courses],
        "windows": [tuple(r) for r in windows],
        "events": [tuple(r) for r in events],
    }


def wipe(db: Database) -> None:
    with db.transaction() as session:
        for table in (*TABLES, "patients"):
            session.execute(sa.text(f"DELETE FROM {table}"))


def generate(db: Database, n: int, seed: int) -> synthetic.SyntheticCounts:
    with db.transaction() as session:
        return synthetic.generate(session, n, seed, today=TODAY)


def test_the_same_seed_makes_the_same_registry_and_another_seed_another(db: Database) -> None:
    generate(db, 120, seed=11)
    first = snapshot(db)
    wipe(db)
    generate(db, 120, seed=11)
    assert snapshot(db) == first
    wipe(db)
    generate(db, 120, seed=12)
    assert snapshot(db)["courses"] != first["courses"]


def test_the_counts_are_the_rows_written(db: Database) -> None:
    counts = generate(db, 400, seed=3)
    with db.session() as session:

        def count(sql: str) -> int:
            return int(session.execute(sa.text(sql)).scalar_one())

        assert counts.patients == 400 == count("SELECT COUNT(*) FROM patients")
        assert counts.courses == count("SELECT COUNT(*) FROM outcome_courses")
        assert counts.windows == count("SELECT COUNT(*) FROM outcome_windows") == 4 * counts.courses
        assert counts.adverse_events == count("SELECT COUNT(*) FROM outcome_adverse_events")
        assert counts.exits == count("SELECT COUNT(*) FROM outcome_exits")
        assert count("SELECT COUNT(*) FROM outcome_courses WHERE origin <> 'synthetic'") == 0
        # The measured values: baseline and window measures and the exacerbation counts.
        measured = count(
            "SELECT COUNT(act_baseline) + COUNT(acq_baseline) "
            "+ COUNT(rescue_puffs_per_week_baseline) + COUNT(fev1_l_baseline) "
            "+ COUNT(fev1_pp_baseline) + COUNT(fev1_z_baseline) + COUNT(feno_ppb_baseline) "
            "+ COUNT(eosinophils_per_ul_baseline) + COUNT(ocs_mg_per_day_baseline) "
            "+ COUNT(exacerbations_12m_baseline) FROM outcome_courses"
        ) + count(
            "SELECT COUNT(act) + COUNT(acq) + COUNT(rescue_puffs_per_week) + COUNT(fev1_l) "
            "+ COUNT(fev1_pp) + COUNT(fev1_z) + COUNT(feno_ppb) + COUNT(eosinophils_per_ul) "
            "+ COUNT(ocs_mg_per_day) + COUNT(exacerbations) FROM outcome_windows"
        )
    assert counts.observations == measured
    # At least 20 observations per patient: 100,000 patients give the benchmark's 2 million.
    assert counts.observations >= 20 * counts.patients
    assert 400 < counts.courses < 480  # a tenth have a repeat course


def test_patients_are_plausible_and_identifiable_like_real_ones(db: Database) -> None:
    generate(db, 200, seed=5)
    with db.session() as session:
        rows = session.execute(
            sa.text("SELECT medical_record_number, email, phone, first_name FROM patients")
        ).all()
    mrns = [r[0] for r in rows]
    assert len(set(mrns)) == 200
    assert all(patients.record_number_valid(m) for m in mrns)
    assert all(r[1].endswith("@example.net") for r in rows)
    assert len({r[1] for r in rows}) == 200
    assert all(r[2].startswith("+") for r in rows)


def test_missing_data_rises_with_month_and_recent_windows_are_ahead(db: Database) -> None:
    generate(db, 1500, seed=8)
    with db.session() as session:
        cohort = load_cohort(session, CohortFilter(), TODAY)
    completed = {
        month: (w.counts["completed"] + w.counts["completed_late"]) / w.counts["due"]
        for month, w in cohort.windows.items()
    }
    assert completed[1] > completed[3] > completed[6] > completed[12]
    assert cohort.windows[12].counts["upcoming"] > 0 and cohort.windows[1].counts["open"] >= 0
    for kind in ("withdrawn", "lost"):
        assert cohort.windows[12].counts[kind] > 0
    assert cohort.windows[1].counts["completed_late"] > 0
    # Values stay in their instruments' ranges.
    act = cohort.windows[3].values["act"]
    assert np.nanmin(act) >= 5 and np.nanmax(act) <= 25
    acq = cohort.windows[3].values["acq"]
    assert np.nanmin(acq) >= 0 and np.nanmax(acq) <= 6
    # Regression to the mean: the least controlled at baseline improve most on average.
    base, month3 = cohort.baseline["act"], cohort.windows[3].values["act"]
    paired = ~np.isnan(base) & ~np.isnan(month3)
    change = month3[paired] - base[paired]
    low = base[paired] <= 12
    assert change[low].mean() > change[~low].mean()
    # Every expected reaction occurs, almost all grade 1-2.
    terms = {term for term, *_ in cohort.adverse_events}
    assert terms == set(synthetic.AE_TERMS)
    grades = [grade for _, grade, _, _ in cohort.adverse_events]
    assert max(grades) <= 3
    assert cohort.n_synthetic == cohort.n_treated


def test_the_generator_adds_beside_existing_patients_with_fresh_ids(db: Database) -> None:
    generate(db, 50, seed=1)
    generate(db, 50, seed=2)
    with db.session() as session:
        assert session.execute(sa.text("SELECT COUNT(*) FROM patients")).scalar_one() == 100
        has = synthetic.has_patients(session)
    assert has
    # The database's own id allocation still works afterwards (PostgreSQL sequences).
    with db.transaction() as session:
        new_id = session.execute(
            sa.text(
                "INSERT INTO outcome_exits (patient_id, kind, on_date, recorded_at, "
                "recorded_by_name) SELECT MIN(id), 'lost', :day, :at, 'test' FROM patients "
                "RETURNING id"
            ),
            {"day": TODAY, "at": dt.datetime(2026, 12, 6, tzinfo=dt.UTC)},
        ).scalar_one()
        top = session.execute(sa.text("SELECT MAX(id) FROM outcome_exits")).scalar_one()
    assert new_id == top


def test_the_command_fills_an_empty_database_and_refuses_one_with_patients(db: Database) -> None:
    from tests.kit.test_audit import run_cli

    args = ("demo", "registry", "--patients", "30", "--seed", "4", "--today", "2026-12-06")
    made = run_cli(db, *args)
    assert made.returncode == 0, made.stderr
    assert "30 synthetic patients" in made.stdout
    refused = run_cli(db, *args)
    assert refused.returncode == 1 and "already holds patients" in refused.stderr
    with db.session() as session:
        assert session.execute(sa.text("SELECT COUNT(*) FROM patients")).scalar_one() == 30
