"""The synthetic registry: invented patients with treated courses, follow-up windows,
missing data, exits and adverse events, for benchmarks, the demo clinic's history and
the tests of the report and the export (``respira demo registry --patients N --seed S``).

Everything here is invented and marked: the registry rows have ``origin = 'synthetic'``
(no course behind them; every report says how many it holds, and the refresh never
touches them). The patients are ordinary ``patients`` rows with invented names, record
numbers, e-mail addresses and phone numbers (``example.net`` addresses, so no mail can
reach anyone), because the de-identified export must be shown to remove exactly such
identifiers. Deterministic: the same seed, size and ``today`` give the same rows in an
empty database.

The model is plausible, not a claim about the therapy (nothing here is evidence):

- severity (GINA step 3–5; clinical.md §2.2) and phenotype (§3.2) set the baseline: an
  ACT (§1.1) or ACQ-5 (§1.3) score and its control band, rescue puffs per week,
  FEV1 with % predicted and a z-score, FeNO and blood eosinophils by phenotype (§3.1),
  maintenance OCS at step 5, and severe exacerbations in the last 12 months (§2.5);
- after treatment each value moves part of the way back to the population mean
  (regression to the mean, §6's warning: the patients were enrolled when uncontrolled)
  plus a small change and noise; severe exacerbations follow a Poisson process whose
  rate is the baseline rate times a per-course ratio;
- a window is answered less often the later it is (about 88 %, 80 %, 72 % and 62 % at
  1, 3, 6 and 12 months), sometimes late; spirometry is measured at about half of the
  check-ins, FeNO and eosinophils only at some 6- and 12-month ones;
- some patients withdraw, are lost to follow-up, and rarely die; a tenth have a repeat
  course a year or two after the first; windows of recent courses are still upcoming
  or open on ``today``;
- adverse events are the consent form's expected reactions (clinical.md §4.2: fever,
  chills, headache, nausea, fatigue, injection site reaction), mostly grade 1–2,
  rarely grade 3 (then half of them serious).

Bulk inserts bypass the ORM (an ``executemany`` on SQLite, ``COPY`` on PostgreSQL) with
ids allocated above the highest in use, so that 100,000 patients take well under a
minute; PostgreSQL's sequences are moved past them afterwards. Run it when nothing else
writes to these tables (a benchmark, the demo's seeding, an empty database).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from respira.followup import service as followup
from respira.kit import audit
from respira.kit.actors import Actor
from respira.kit.db import utcnow
from respira.kit.validation import age_years
from respira.outcomes.exits import ENTITY as EXIT_ENTITY
from respira.patients import service as patients
from respira.science import control
from respira.science.phenotype import PHENOTYPES

BATCH_PATIENTS = 5_000
SOURCE_NAME = "Synthetic registry (respira demo registry)"
SYNTHETIC_REASON = "synthetic registry: invented data for demonstration and benchmarks"
WINDOW_MONTHS = (1, 3, 6, 12)
# Probability that a window's check-in is answered (missing data rising with month).
ANSWER_P = (0.88, 0.80, 0.72, 0.62)
LATE_P = 0.08
SPIROMETRY_P = 0.55
BIOMARKER_P = 0.25  # FeNO / eosinophils at the 6- and 12-month check-ins
REPEAT_P = 0.10
EXIT_P = {"withdrawn": 0.04, "lost": 0.06, "died": 0.005}
CELL_SOURCES = ("allogeneic_cord", "autologous_bone_marrow", "autologous_adipose")
CELL_SOURCE_P = (0.5, 0.25, 0.25)
# Million cells/kg: the range of the lung-disease trials (clinical.md §5.3).
DOSES = (0.5, 1.0, 1.5, 2.0, 3.0)
DOSE_P = (0.15, 0.40, 0.20, 0.20, 0.05)
PHENOTYPE_P = (0.30, 0.15, 0.25, 0.05, 0.20, 0.05)
GINA_STEPS = (3, 4, 5)
GINA_P = (0.10, 0.35, 0.55)
# The expected reactions (safety.toml, clinical.md §4.2) and how often each follows a
# course; grades 1, 2, 3.
AE_TERMS = ("Fever", "Chills", "Headache", "Nausea", "Fatigue", "Injection site reaction")
AE_P = (0.15, 0.10, 0.12, 0.06, 0.12, 0.08)
AE_GRADE_P = (0.75, 0.22, 0.03)

_COUNTRIES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str, str]] = {
    # country: female names, male names, family names, language, phone prefix
    "DE": (
        ("Hanna", "Clara", "Leonie", "Johanna", "Katrin", "Petra", "Sabine", "Ute"),
        ("Maximilian", "Tobias", "Matthias", "Stefan", "Florian", "Jan", "Uwe", "Rolf"),
        ("Hoffmann", "Schulz", "Koch", "Richter", "Klein", "Wolf", "Neumann", "Zimmermann"),
        "de",
        "+49 30",
    ),
    "RU": (
        ("Tatiana", "Svetlana", "Yulia", "Anastasia", "Ksenia", "Marina", "Galina"),
        ("Andrei", "Mikhail", "Nikolai", "Pavel", "Viktor", "Igor", "Konstantin"),
        ("Morozov", "Lebedev", "Kozlov", "Novikov", "Pavlov", "Orlov", "Fedorov", "Belov"),
        "ru",
        "+7 495",
    ),
    "GB": (
        ("Charlotte", "Grace", "Freya", "Poppy", "Eleanor", "Harriet", "Imogen"),
        ("Thomas", "William", "Edward", "Henry", "Alfie", "Oscar", "Callum"),
        ("Clarke", "Hughes", "Walker", "Wright", "Robinson", "Thompson", "Hall", "Green"),
        "en",
        "+44 20",
    ),
    "US": (
        ("Madison", "Abigail", "Hannah", "Chloe", "Natalie", "Brooke", "Megan"),
        ("Ethan", "Logan", "Mason", "Tyler", "Brandon", "Austin", "Caleb"),
        ("Carter", "Mitchell", "Perez", "Roberts", "Turner", "Phillips", "Campbell"),
        "en",
        "+1 212",
    ),
    "KZ": (
        ("Aruzhan", "Zhanar", "Gulnara", "Saule", "Aliya", "Dinara"),
        ("Daulet", "Yerbol", "Askar", "Timur", "Bauyrzhan", "Serik"),
        ("Zhakupov", "Iskakova", "Tulegenov", "Sultanova", "Abenov", "Kassymova"),
        "ru",
        "+7 727",
    ),
    "AE": (
        ("Noura", "Hessa", "Latifa", "Shamma", "Reem", "Maitha"),
        ("Rashid", "Saeed", "Hamdan", "Majid", "Sultan", "Zayed"),
        ("Al Falasi", "Al Suwaidi", "Al Mazrouei", "Al Ketbi", "Al Shamsi"),
        "ar",
        "+971 4",
    ),
}
_COUNTRY_P = (0.25, 0.25, 0.12, 0.10, 0.18, 0.10)


@dataclass(frozen=True)
class SyntheticCounts:
    patients: int
    courses: int
    windows: int
    adverse_events: int
    exits: int
    observations: int  # measured values: baseline and window measures, exacerbation counts


class RegistryNotEmpty(Exception):
    """The database already holds patients (the command refuses without ``--force``)."""


def has_patients(session: Session) -> bool:
    return session.execute(sa.text("SELECT 1 FROM patients LIMIT 1")).first() is not None


def generate(
    session: Session,
    patients_n: int,
    seed: int,
    *,
    today: dt.date | None = None,
    years: float = 6.0,
) -> SyntheticCounts:
    """Add ``patients_n`` synthetic patients with their registry rows in the session's
    transaction (the caller commits). Courses are treated over the ``years`` before
    ``today`` (the clinic's today by default)."""
    if patients_n < 0:
        raise ValueError("patients_n must not be negative")
    today = today or followup.clinic_today()
    rng = np.random.default_rng(seed)
    conn = session.connection()
    writer = _Writer(conn)
    first_ids = dict(writer.next_id)
    taken = set(session.execute(sa.text("SELECT medical_record_number FROM patients")).scalars())
    total = [0, 0, 0, 0, 0, 0]
    done = 0
    while done < patients_n:
        size = min(BATCH_PATIENTS, patients_n - done)
        batch = _Batch(rng, size, today, years, taken)
        counts = batch.write(writer)
        total = [a + b for a, b in zip(total, counts, strict=True)]
        done += size
    writer.finish()
    # The trail knows every invented row as a create by the generator, so that
    # ``respira audit verify --records`` checks them like any other.
    actor = Actor.system("synthetic registry")
    for table, entity_type in (("patients", "patient"), ("outcome_exits", EXIT_ENTITY)):
        audit.record_created_rows(
            session,
            actor,
            table,
            range(first_ids[table], writer.next_id[table]),
            entity_type=entity_type,
            reason=SYNTHETIC_REASON,
        )
    return SyntheticCounts(*total)


# -- writing ---------------------------------------------------------------------------


class _Writer:
    """Bulk inserts with explicit ids on SQLite (``executemany``) or PostgreSQL
    (``COPY``), through the session's own connection and transaction."""

    TABLES = ("patients", "outcome_courses", "outcome_windows", "outcome_adverse_events")

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.raw: Any = conn.connection.driver_connection
        self.next_id = {
            table: 1
            + int(conn.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one())  # noqa: S608 (fixed names)
            for table in (*self.TABLES, "outcome_exits")
        }
        self.now = utcnow()

    def ids(self, table: str, n: int) -> np.ndarray:
        first = self.next_id[table]
        self.next_id[table] = first + n
        return np.arange(first, first + n, dtype=np.int64)

    def date(self, ordinals: np.ndarray) -> list[Any]:
        """Day ordinals (0 for none) as the driver wants dates."""
        cache: dict[int, Any] = {}
        out: list[Any] = []
        for value in ordinals.tolist():
            if value <= 0:
                out.append(None)
                continue
            found = cache.get(value)
            if found is None:
                day = dt.date.fromordinal(value)
                found = cache[value] = day.isoformat() if self.sqlite else day
            out.append(found)
        return out

    def stamp(self) -> Any:
        if self.sqlite:
            return self.now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
        return self.now

    def flag(self, values: np.ndarray) -> list[Any]:
        return [int(v) for v in values.tolist()] if self.sqlite else values.tolist()

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        names = ", ".join(columns)
        if self.sqlite:
            marks = ", ".join("?" * len(columns))
            cursor = self.raw.cursor()
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
            cursor.close()
            return
        with self.raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def finish(self) -> None:
        if self.sqlite:
            return
        for table in (*self.TABLES, "outcome_exits"):
            self.conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            )


def _none_nan(values: np.ndarray, digits: int | None = None) -> list[float | None]:
    if digits is not None:
        values = np.round(values, digits)
    return [None if v != v else v for v in values.tolist()]


# -- one batch -------------------------------------------------------------------------


class _Batch:
    """The rows of ``size`` patients, drawn from the generator in a fixed order."""

    def __init__(
        self, rng: np.random.Generator, size: int, today: dt.date, years: float, taken: set[str]
    ) -> None:
        self.rng = rng
        self.size = size
        self.today = today.toordinal()
        self.taken = taken
        self._people(years)
        self._courses()
        self._baselines()
        self._windows()
        self._events()

    # who
    def _people(self, years: float) -> None:
        rng, n = self.rng, self.size
        self.female = rng.random(n) < 0.6
        countries = list(_COUNTRIES)
        self.country = rng.choice(len(countries), size=n, p=_COUNTRY_P)
        first_pick = rng.integers(0, 1 << 30, size=n)
        last_pick = rng.integers(0, 1 << 30, size=n)
        self.first_name: list[str] = []
        self.last_name: list[str] = []
        self.language: list[str] = []
        self.phone_prefix: list[str] = []
        self.country_code: list[str] = []
        for i in range(n):
            code = countries[self.country[i]]
            women, men, families, language, prefix = _COUNTRIES[code]
            given = women if self.female[i] else men
            self.first_name.append(given[first_pick[i] % len(given)])
            self.last_name.append(families[last_pick[i] % len(families)])
            self.language.append(language)
            self.phone_prefix.append(prefix)
            self.country_code.append(code)
        self.phone_digits = rng.integers(1_000_000, 10_000_000, size=n)
        self.mrn = self._record_numbers(n)
        span = int(years * 365.25)
        self.first_treated = self.today - rng.integers(0, span + 1, size=n)
        age = np.clip(np.round(rng.normal(47, 14, size=n)), 18, 80).astype(np.int64)
        self.birth = (
            self.first_treated
            - np.round(age * 365.25).astype(np.int64)
            - rng.integers(0, 365, size=n)
        )
        self.height = np.where(
            self.female, rng.normal(164, 7, size=n), rng.normal(177, 7, size=n)
        ).round(0)
        self.weight = np.clip(rng.normal(78, 15, size=n), 40, 160).round(1)
        self.pack_years = np.where(
            rng.random(n) < 0.8, 0.0, rng.integers(1, 20, size=n).astype(float)
        )
        self.phenotype = rng.choice(len(PHENOTYPES), size=n, p=PHENOTYPE_P)
        self.gina = np.array(GINA_STEPS)[rng.choice(3, size=n, p=GINA_P)]
        self.source = rng.choice(len(CELL_SOURCES), size=n, p=CELL_SOURCE_P)
        self.act_instrument = rng.random(n) < 0.75
        # The exit (if any): its kind and day after the first course.
        draw = rng.random(n)
        kinds = np.full(n, "", dtype=object)
        edge = 0.0
        for kind, p in EXIT_P.items():
            kinds[(draw >= edge) & (draw < edge + p)] = kind
            edge += p
        exit_day = self.first_treated + rng.integers(20, 540, size=n)
        kinds[exit_day > self.today] = ""
        self.exit_kind = kinds
        self.exit_on = np.where(kinds != "", exit_day, 0)

    def _record_numbers(self, n: int) -> list[str]:
        found: list[str] = []
        while len(found) < n:
            for body in self.rng.integers(1_000_000, 10_000_000, size=n - len(found)).tolist():
                digits = str(body)
                mrn = f"RSP-{digits}-{patients.luhn_digit(digits)}"
                if mrn not in self.taken:
                    self.taken.add(mrn)
                    found.append(mrn)
        return found

    # what was done
    def _courses(self) -> None:
        rng, n = self.rng, self.size
        second = self.first_treated + rng.integers(365, 731, size=n)
        repeat = (rng.random(n) < REPEAT_P) & (second <= self.today)
        # A patient who left follow-up before the repeat course's day had none.
        repeat &= (self.exit_on == 0) | (self.exit_on > second)
        owner = np.concatenate([np.arange(n), np.flatnonzero(repeat)])
        self.owner = owner
        self.course_number = np.concatenate([np.ones(n, np.int64), np.full(repeat.sum(), 2)])
        self.treated = np.concatenate([self.first_treated, second[repeat]])
        m = owner.size
        self.dose = np.array(DOSES)[rng.choice(len(DOSES), size=m, p=DOSE_P)]
        self.age = np.array(
            [
                age_years(dt.date.fromordinal(b), dt.date.fromordinal(t))
                for b, t in zip(self.birth[owner].tolist(), self.treated.tolist(), strict=True)
            ],
            dtype=np.int64,
        )

    def _baselines(self) -> None:
        rng, owner = self.rng, self.owner
        m = owner.size
        gina = self.gina[owner]
        severity = (gina - 3) / 2.0  # 0 at step 3, 1 at step 5
        act = self.act_instrument[owner]
        self.act_score = np.where(
            act, np.clip(np.round(rng.normal(17 - 4 * severity, 3.5, size=m)), 5, 25), np.nan
        )
        acq = np.clip(rng.normal(1.6 + 1.2 * severity, 0.8, size=m), 0, 6)
        self.acq_score = np.where(act, np.nan, np.round(acq * 5) / 5)  # ACQ-5: steps of 0.2
        self.control = np.where(
            act,
            np.select(
                [
                    self.act_score >= control.ACT_WELL_CONTROLLED_MIN,
                    self.act_score <= control.ACT_VERY_POORLY_MAX,
                ],
                [control.BANDS["act"][0], control.BANDS["act"][2]],
                control.BANDS["act"][1],
            ),
            np.select(
                [
                    self.acq_score <= control.ACQ_WELL_CONTROLLED_MAX,
                    self.acq_score >= control.ACQ_NOT_WELL_CONTROLLED_MIN,
                ],
                [control.BANDS["acq5"][0], control.BANDS["acq5"][2]],
                control.BANDS["acq5"][1],
            ),
        ).astype(object)
        self.rescue = np.clip(
            np.round(rng.lognormal(np.log(8 + 14 * severity), 0.6, size=m)), 0, 140
        )
        # FEV1: a rough predicted value by sex, height and age (synthetic, not GLI).
        female = self.female[owner]
        height, age = self.height[owner], self.age.astype(float)
        self.fev1_predicted = np.where(
            female,
            0.0342 * height - 0.0255 * age - 1.578,
            0.0414 * height - 0.0244 * age - 2.190,
        )
        pp = np.clip(rng.normal(78 - 14 * severity, 14, size=m), 30, 120)
        self.fev1_l = np.round(self.fev1_predicted * pp / 100, 2)
        type2 = np.isin(self.phenotype[owner], [0, 2, 3])  # eosinophilic kinds
        allergic = self.phenotype[owner] == 1
        self.feno = np.round(
            rng.lognormal(np.log(np.where(type2, 42, np.where(allergic, 30, 16))), 0.5, size=m)
        )
        self.eos = np.round(
            rng.lognormal(np.log(np.where(type2, 420, np.where(allergic, 250, 120))), 0.5, size=m),
            -1,
        )
        on_ocs = (gina == 5) & (rng.random(m) < 0.4)
        self.ocs = np.where(on_ocs, rng.choice([5.0, 7.5, 10.0, 15.0, 20.0], size=m), 0.0)
        mean = 0.8 + 1.7 * severity
        self.exacerbations_12m = rng.negative_binomial(2, 2 / (2 + mean), size=m).astype(float)
        # Baseline values missing now and then (a marker panel not done, say).
        for name, p in (
            ("rescue", 0.03),
            ("fev1_l", 0.05),
            ("feno", 0.20),
            ("eos", 0.10),
            ("exacerbations_12m", 0.02),
        ):
            values = getattr(self, name)
            values[rng.random(m) < p] = np.nan
        self.act_score[rng.random(m) < 0.02] = np.nan
        self.acq_score[rng.random(m) < 0.02] = np.nan

    def _windows(self) -> None:
        rng, owner = self.rng, self.owner
        m, k = owner.size, len(WINDOW_MONTHS)
        specs = {spec.month: spec for spec in followup.DEFAULT_WINDOWS}
        days, inverse = np.unique(self.treated, return_inverse=True)
        due = np.empty((days.size, k), dtype=np.int64)
        for i, day in enumerate(days.tolist()):
            anchor = dt.date.fromordinal(day)
            for j, month in enumerate(WINDOW_MONTHS):
                due[i, j] = followup.add_months(anchor, month).toordinal()
        self.due = due[inverse]
        self.start = self.due - np.array([specs[mo].before_days for mo in WINDOW_MONTHS])
        self.end = self.due + np.array([specs[mo].after_days for mo in WINDOW_MONTHS])
        exit_on = self.exit_on[owner][:, None]
        late = rng.random((m, k)) < LATE_P
        on_time = self.start + np.floor(rng.random((m, k)) * (self.end - self.start + 1)).astype(
            np.int64
        )
        # A late answer comes before the next window opens (check-ins stay in order).
        next_start = np.concatenate(
            [self.start[:, 1:], np.full((m, 1), np.iinfo(np.int64).max)], axis=1
        )
        late_on = np.minimum(self.end + rng.integers(1, 46, size=(m, k)), next_start - 1)
        answered_on = np.where(late, late_on, on_time)
        answered = (rng.random((m, k)) < np.array(ANSWER_P)) & (answered_on <= self.today)
        answered &= (exit_on == 0) | (answered_on < exit_on)
        self.answered = answered
        self.answered_on = np.where(answered, answered_on, 0)
        # Values: part of the way back to the population's mean, a small change, noise.
        act = self.act_instrument[owner][:, None]
        pull = 0.35
        base_act = np.where(np.isnan(self.act_score), 15.0, self.act_score)[:, None]
        act_w = base_act + pull * (19.0 - base_act) + 1.0 + rng.normal(0, 2.5, (m, k))
        self.w_act = np.where(answered & act, np.clip(np.round(act_w), 5, 25), np.nan)
        base_acq = np.where(np.isnan(self.acq_score), 2.2, self.acq_score)[:, None]
        acq_w = base_acq + pull * (1.3 - base_acq) - 0.2 + rng.normal(0, 0.45, (m, k))
        self.w_acq = np.where(answered & ~act, np.round(np.clip(acq_w, 0, 6) * 5) / 5, np.nan)
        base_rescue = np.where(np.isnan(self.rescue), 12.0, self.rescue)[:, None]
        rescue_w = base_rescue * np.exp(rng.normal(-0.35, 0.45, (m, k)))
        self.w_rescue = np.where(answered, np.clip(np.round(rescue_w), 0, 400), np.nan)
        spiro = answered & (rng.random((m, k)) < SPIROMETRY_P)
        base_fev1 = np.where(np.isnan(self.fev1_l), 0.7 * self.fev1_predicted, self.fev1_l)
        fev1_w = base_fev1[:, None] + rng.normal(0.06, 0.18, (m, k))
        fev1_w = np.clip(fev1_w, 0.4, None)
        self.w_fev1 = np.where(spiro, np.round(fev1_w, 2), np.nan)
        later = np.array([mo >= 6 for mo in WINDOW_MONTHS])
        markers = answered & later & (rng.random((m, k)) < BIOMARKER_P)
        base_feno = np.where(np.isnan(self.feno), 25.0, self.feno)[:, None]
        self.w_feno = np.where(
            markers, np.round(base_feno * np.exp(rng.normal(-0.1, 0.35, (m, k)))), np.nan
        )
        base_eos = np.where(np.isnan(self.eos), 250.0, self.eos)[:, None]
        self.w_eos = np.where(
            markers, np.round(base_eos * np.exp(rng.normal(-0.05, 0.4, (m, k))), -1), np.nan
        )
        factor = rng.choice([1.0, 0.75, 0.5, 0.25, 0.0], size=m, p=[0.45, 0.2, 0.15, 0.1, 0.1])
        from_three = np.array([mo >= 3 for mo in WINDOW_MONTHS])
        ocs_w = self.ocs[:, None] * np.where(from_three, factor[:, None], 1.0)
        self.w_ocs = np.where(answered, ocs_w, np.nan)
        # Severe exacerbations since the previous answered check-in (or treatment).
        rate = np.where(np.isnan(self.exacerbations_12m), 1.5, self.exacerbations_12m) + 0.3
        ratio = rng.lognormal(np.log(0.65), 0.5, size=m)
        counts = np.zeros((m, k))
        first_day = np.full(m, -1, dtype=np.int64)
        previous = self.treated.copy()
        for j in range(k):
            span = np.where(answered[:, j], self.answered_on[:, j] - previous, 0)
            drawn = rng.poisson(rate * ratio * span / 365.25)
            counts[:, j] = drawn
            start_offset = previous - self.treated
            offset = start_offset + np.floor(rng.random(m) * np.maximum(span, 1)).astype(np.int64)
            new_first = (first_day < 0) & (drawn > 0)
            first_day = np.where(new_first, offset + 1, first_day)
            previous = np.where(answered[:, j], self.answered_on[:, j], previous)
        self.w_exacerbations = np.where(answered, counts, np.nan)
        self.exacerbations_after = counts.sum(axis=1).astype(np.int64)
        last = np.where(answered, self.answered_on, 0).max(axis=1)
        self.exposure = np.where(last > 0, last - self.treated, 0)
        self.first_day = first_day

    def _events(self) -> None:
        rng, m = self.rng, self.owner.size
        rows: list[tuple[int, str, int, bool, bool, int]] = []
        occurs = rng.random((m, len(AE_TERMS))) < np.array(AE_P)
        grades = rng.choice(3, size=(m, len(AE_TERMS)), p=AE_GRADE_P) + 1
        serious = (grades >= 3) & (rng.random((m, len(AE_TERMS))) < 0.5)
        related = rng.random((m, len(AE_TERMS))) < 0.95
        onset = rng.integers(0, 3, size=(m, len(AE_TERMS)))
        for course, term_index in zip(*np.nonzero(occurs), strict=True):
            rows.append(
                (
                    int(course),
                    AE_TERMS[term_index],
                    int(grades[course, term_index]),
                    bool(serious[course, term_index]),
                    bool(related[course, term_index]),
                    int(onset[course, term_index]),
                )
            )
        # Only events already known on today.
        self.events = [r for r in rows if self.treated[r[0]] + r[5] <= self.today]

    # the rows
    def write(self, w: _Writer) -> list[int]:
        n, owner = self.size, self.owner
        patient_ids = w.ids("patients", n)
        stamp = w.stamp()
        emails = [
            f"{first.lower().replace(' ', '')}.{last.lower().replace(' ', '')}."
            f"{mrn[4:11]}@example.net"
            for first, last, mrn in zip(self.first_name, self.last_name, self.mrn, strict=True)
        ]
        phones = [
            f"{prefix} {digits}"
            for prefix, digits in zip(self.phone_prefix, self.phone_digits.tolist(), strict=True)
        ]
        w.insert(
            "patients",
            (
                "id",
                "medical_record_number",
                "first_name",
                "last_name",
                "date_of_birth",
                "sex_at_birth",
                "country",
                "preferred_language",
                "email",
                "phone",
                "height_cm",
                "weight_kg",
                "smoking_pack_years",
                "created_at",
                "updated_at",
                "version",
                "search_key",
            ),
            zip(
                patient_ids.tolist(),
                self.mrn,
                self.first_name,
                self.last_name,
                w.date(self.birth),
                ["female" if f else "male" for f in self.female.tolist()],
                self.country_code,
                self.language,
                emails,
                phones,
                self.height.tolist(),
                self.weight.tolist(),
                self.pack_years.tolist(),
                [stamp] * n,
                [stamp] * n,
                [1] * n,
                [
                    patients.search_key(f, last, mrn)
                    for f, last, mrn in zip(self.first_name, self.last_name, self.mrn, strict=True)
                ],
                strict=True,
            ),
        )
        m = owner.size
        course_ids = w.ids("outcome_courses", m)
        exit_on = self.exit_on[owner]
        exit_kind = self.exit_kind[owner]
        phenotypes = np.array(PHENOTYPES, dtype=object)[self.phenotype[owner]]
        w.insert(
            "outcome_courses",
            (
                "id",
                "origin",
                "course_id",
                "patient_id",
                "course_number",
                "treated_on",
                "cell_source",
                "dose_million_cells_per_kg",
                "phenotype",
                "gina_step",
                "baseline_control",
                "sex",
                "age_years",
                "instrument",
                "act_baseline",
                "acq_baseline",
                "rescue_puffs_per_week_baseline",
                "fev1_l_baseline",
                "fev1_pp_baseline",
                "fev1_z_baseline",
                "feno_ppb_baseline",
                "eosinophils_per_ul_baseline",
                "ocs_mg_per_day_baseline",
                "exacerbations_12m_baseline",
                "exacerbations_after",
                "exposure_days_after",
                "first_exacerbation_day",
                "exit_kind",
                "exit_on",
                "refreshed_at",
            ),
            zip(
                course_ids.tolist(),
                ["synthetic"] * m,
                [None] * m,
                patient_ids[owner].tolist(),
                self.course_number.tolist(),
                w.date(self.treated),
                [CELL_SOURCES[s] for s in self.source[owner].tolist()],
                self.dose.tolist(),
                phenotypes.tolist(),
                self.gina[owner].tolist(),
                self.control.tolist(),
                ["female" if f else "male" for f in self.female[owner].tolist()],
                self.age.tolist(),
                ["act" if a else "acq5" for a in self.act_instrument[owner].tolist()],
                _none_nan(self.act_score),
                _none_nan(self.acq_score),
                _none_nan(self.rescue),
                _none_nan(self.fev1_l),
                _none_nan(self.fev1_l / self.fev1_predicted * 100, 1),
                _none_nan((self.fev1_l / self.fev1_predicted - 1) / 0.13, 2),
                _none_nan(self.feno),
                _none_nan(self.eos),
                self.ocs.tolist(),
                [None if v != v else int(v) for v in self.exacerbations_12m.tolist()],
                self.exacerbations_after.tolist(),
                self.exposure.tolist(),
                [None if d < 0 else d for d in self.first_day.tolist()],
                [k or None for k in exit_kind.tolist()],
                w.date(exit_on),
                [stamp] * m,
                strict=True,
            ),
        )
        k = len(WINDOW_MONTHS)
        window_ids = w.ids("outcome_windows", m * k)
        predicted = np.repeat(self.fev1_predicted, k)
        fev1 = self.w_fev1.reshape(-1)
        w.insert(
            "outcome_windows",
            (
                "id",
                "outcome_course_id",
                "month",
                "due_date",
                "window_start",
                "window_end",
                "answered_on",
                "act",
                "acq",
                "rescue_puffs_per_week",
                "fev1_l",
                "fev1_pp",
                "fev1_z",
                "feno_ppb",
                "eosinophils_per_ul",
                "ocs_mg_per_day",
                "exacerbations",
            ),
            zip(
                window_ids.tolist(),
                np.repeat(course_ids, k).tolist(),
                list(WINDOW_MONTHS) * m,
                w.date(self.due.reshape(-1)),
                w.date(self.start.reshape(-1)),
                w.date(self.end.reshape(-1)),
                w.date(self.answered_on.reshape(-1)),
                _none_nan(self.w_act.reshape(-1)),
                _none_nan(self.w_acq.reshape(-1)),
                _none_nan(self.w_rescue.reshape(-1)),
                _none_nan(fev1),
                _none_nan(fev1 / predicted * 100, 1),
                _none_nan((fev1 / predicted - 1) / 0.13, 2),
                _none_nan(self.w_feno.reshape(-1)),
                _none_nan(self.w_eos.reshape(-1)),
                _none_nan(self.w_ocs.reshape(-1)),
                [None if v != v else int(v) for v in self.w_exacerbations.reshape(-1).tolist()],
                strict=True,
            ),
        )
        event_ids = w.ids("outcome_adverse_events", len(self.events))
        w.insert(
            "outcome_adverse_events",
            (
                "id",
                "outcome_course_id",
                "adverse_event_id",
                "term",
                "grade",
                "serious",
                "related",
                "onset_day",
            ),
            (
                (
                    event_id,
                    int(course_ids[course]),
                    None,
                    term,
                    grade,
                    int(serious) if w.sqlite else serious,
                    int(related) if w.sqlite else related,
                    onset,
                )
                for event_id, (course, term, grade, serious, related, onset) in zip(
                    event_ids.tolist(), self.events, strict=True
                )
            ),
        )
        leavers = np.flatnonzero(self.exit_on > 0)
        exit_ids = w.ids("outcome_exits", leavers.size)
        w.insert(
            "outcome_exits",
            ("id", "patient_id", "kind", "on_date", "reason", "recorded_at", "recorded_by_name"),
            zip(
                exit_ids.tolist(),
                patient_ids[leavers].tolist(),
                self.exit_kind[leavers].tolist(),
                w.date(self.exit_on[leavers]),
                ["synthetic"] * leavers.size,
                [stamp] * leavers.size,
                [SOURCE_NAME] * leavers.size,
                strict=True,
            ),
        )
        observations = int(
            sum(
                int(np.count_nonzero(~np.isnan(a)))
                for a in (
                    self.act_score,
                    self.acq_score,
                    self.rescue,
                    self.fev1_l,
                    self.fev1_l,  # % predicted
                    self.fev1_l,  # z
                    self.feno,
                    self.eos,
                    self.ocs,
                    self.exacerbations_12m,
                    self.w_act,
                    self.w_acq,
                    self.w_rescue,
                    self.w_fev1,
                    self.w_fev1,
                    self.w_fev1,
                    self.w_feno,
                    self.w_eos,
                    self.w_ocs,
                    self.w_exacerbations,
                )
            )
        )
        return [n, m, m * k, len(self.events), int(leavers.size), observations]
