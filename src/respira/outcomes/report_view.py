"""The outcome report as a reader sees it: the report dict (``report.build_report``) in
one language, as sections of headed tables, charts with their numbers beside them,
paragraphs and lists. The staff page, the public page, the PDF and the command line's
HTML all draw these same blocks, so a figure reads the same wherever it is shown.

Every text is a message id marked with ``N_`` and translated here with the language's
catalogue; numbers are written as the language writes them (``charts.number``); a
suppressed figure reads "not shown (fewer than N)" and every table that has one says
why below it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from markupsafe import Markup

from respira.kit.config import get_settings
from respira.kit.marks import N_
from respira.kit.texts import gettext_in
from respira.outcomes import charts

MONTHS = ("1", "3", "6", "12")

MEASURE_LABELS: dict[str, str] = {
    "act": N_("ACT score (points)"),
    "acq": N_("ACQ score (points)"),
    "rescue_puffs_per_week": N_("Rescue inhaler (puffs per week)"),
    "fev1_l": N_("FEV1 (L)"),
    "fev1_pp": N_("FEV1 (% predicted)"),
    "fev1_z": N_("FEV1 (z-score)"),
    "feno_ppb": N_("FeNO (ppb)"),
    "eosinophils_per_ul": N_("Blood eosinophils (cells/µL)"),
    "ocs_mg_per_day": N_("Maintenance oral corticosteroid (mg/day, prednisone-equivalent)"),
}
# Decimals a change of each measure is written with.
DIGITS = {
    "act": 1,
    "acq": 2,
    "rescue_puffs_per_week": 1,
    "fev1_l": 3,
    "fev1_pp": 1,
    "fev1_z": 2,
    "feno_ppb": 0,
    "eosinophils_per_ul": 0,
    "ocs_mg_per_day": 1,
}
STATE_LABELS: dict[str, str] = {
    "due": N_("Due"),
    "completed": N_("Completed"),
    "completed_late": N_("Completed late"),
    "missed": N_("Missed"),
    "withdrawn": N_("Withdrew"),
    "died": N_("Died"),
    "lost": N_("Lost to follow-up"),
    "open": N_("Open now"),
    "upcoming": N_("Upcoming"),
}
# Each definition in words; %(threshold)s is the definition's own number.
RESPONDER_LABELS: dict[str, tuple[str, float]] = {
    "act_3": (N_("ACT rises by %(threshold)s points or more"), 1.0),
    "acq_0_5": (N_("ACQ falls by %(threshold)s points or more"), 1.0),
    "fev1_100ml": (N_("FEV1 rises by %(threshold)s mL or more"), 1000.0),
    "exacerbations_50pct": (
        N_("Severe exacerbations per year fall by %(threshold)s %% or more"),
        100.0,
    ),
    "ocs_50pct": (
        N_("Maintenance oral corticosteroid dose falls by %(threshold)s %% or more"),
        100.0,
    ),
}
RESPONDER_NOTES: dict[str, str] = {
    "exacerbations_50pct": N_(
        "Severe exacerbations: the yearly rate over all follow-up against the 12 months "
        "before treatment; only patients with at least one exacerbation before can respond."
    ),
    "ocs_50pct": N_(
        "Oral corticosteroid: only patients who took a maintenance dose before treatment "
        "can respond."
    ),
}
MODEL_LABELS = {"negative_binomial": N_("negative binomial"), "poisson": N_("Poisson")}
SOURCE_LABELS = {
    "allogeneic_cord": N_("Umbilical cord MSC, allogeneic"),
    "autologous_bone_marrow": N_("Bone marrow MSC, autologous"),
    "autologous_adipose": N_("Adipose MSC, autologous"),
}
CONTROL_LABELS = {
    "well_controlled": N_("Well controlled"),
    "not_well_controlled": N_("Not well controlled"),
    "very_poorly_controlled": N_("Very poorly controlled"),
    "grey_zone": N_("Grey zone"),
    "partly_controlled": N_("Partly controlled"),
    "uncontrolled": N_("Uncontrolled"),
}
PHENOTYPE_LABELS = {
    "allergic-eosinophilic": N_("Allergic and eosinophilic"),
    "allergic": N_("Allergic"),
    "eosinophilic": N_("Eosinophilic"),
    "type-2-high-unclassified": N_("Type-2 inflammation may be present (unclassified)"),
    "type-2-low": N_("Type 2-low"),
    "indeterminate": N_("Indeterminate"),
}
SEX_LABELS = {"female": N_("Female"), "male": N_("Male")}
# The days at which the Kaplan–Meier table reads the curve.
KM_DAYS = (30, 90, 180, 365)


class Texts:
    """Translation and number formatting in one language, outside any request."""

    def __init__(self, lang: str, min_cell: int) -> None:
        self.lang = lang
        self.gettext = gettext_in(lang)
        self.min_cell = min_cell
        self.hidden = self(N_("not shown (fewer than %(n)s)"), n=min_cell)

    def __call__(self, msgid: str, **params: Any) -> str:
        text = self.gettext(msgid)
        return text % params if params else text

    def num(self, value: float | None, digits: int = 1, *, signed: bool = False) -> str:
        return charts.number(value, self.lang, digits, signed=signed)

    def ci(self, pair: Sequence[float | None] | None, digits: int = 1, scale: float = 1.0) -> str:
        if not pair or pair[0] is None or pair[1] is None:
            return "—"
        low, high = pair[0] * scale, pair[1] * scale
        return self(
            N_("%(low)s to %(high)s"), low=self.num(low, digits), high=self.num(high, digits)
        )

    def estimate(
        self, value: float | None, pair: Sequence[float | None] | None, digits: int, **kw: Any
    ) -> str:
        """A figure with its interval: "+2.1 (1.3 to 2.9)"."""
        if value is None:
            return "—"
        if not pair or pair[0] is None:
            return self.num(value, digits, **kw)
        return f"{self.num(value, digits, **kw)} ({self.ci(pair, digits)})"

    def percent(self, rate: float | None, pair: Sequence[float | None] | None = None) -> str:
        """A proportion as per cent, with its interval: "45 % (30 to 62 %)"."""
        if rate is None:
            return "—"
        text = f"{self.num(100 * rate, 0)} %"
        if pair and pair[0] is not None:
            text += f" ({self.ci(pair, 0, 100.0)} %)"
        return text

    def p_value(self, p: float | None) -> str:
        if p is None:
            return "—"
        return f"< {self.num(0.001, 3)}" if p < 0.001 else self.num(p, 3)

    def count(self, value: int | None) -> str:
        return "—" if value is None else self.num(value, 0)

    def month(self, month: str | int) -> str:
        return self(N_("Month %(month)s"), month=month)

    def date(self, value: str | None) -> str:
        if not value:
            return "—"
        return str(format_date(dt.date.fromisoformat(value), format="long", locale=self.lang))

    def moment(self, value: str | None) -> str:
        """A moment in the clinic's time zone, with the zone's name."""
        if not value:
            return "—"
        zone = get_settings().clinic_timezone
        moment = dt.datetime.fromisoformat(value)
        written = format_datetime(moment, format="medium", tzinfo=ZoneInfo(zone), locale=self.lang)
        return f"{written} ({zone})"


# --- blocks -----------------------------------------------------------------------------


@dataclass
class Column:
    label: str
    numeric: bool = False


@dataclass
class Table:
    caption: str
    columns: list[Column]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    kind: str = "table"


@dataclass
class Chart:
    id: str
    figure: charts.Figure
    numbers: Table | None = None
    kind: str = "chart"

    @property
    def svg(self) -> Markup:
        return charts.svg(self.figure, self.id)


@dataclass
class Paragraph:
    text: str
    style: str = ""  # "", "notice" or "warning"
    kind: str = "paragraph"


@dataclass
class Heading:
    text: str
    kind: str = "heading"


@dataclass
class Bullets:
    items: list[str]
    kind: str = "bullets"


Block = Table | Chart | Paragraph | Heading | Bullets


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block]


@dataclass
class ReportView:
    """What a page shows above the sections, and the sections."""

    title: str
    facts: list[tuple[str, str]]
    notices: list[Paragraph]
    sections: list[Section]


def _hidden_note(t: Texts, entries: Sequence[dict[str, Any] | None]) -> list[str]:
    if any(e and e.get("suppressed") for e in entries):
        return [
            t(
                N_(
                    "Figures computed from fewer than %(n)s patients are not shown: so few "
                    "patients could be recognised, and their figures mislead."
                ),
                n=t.min_cell,
            )
        ]
    return []


# --- the sections -------------------------------------------------------------------------


def _completeness(report: dict[str, Any], t: Texts) -> Section:
    states = tuple(STATE_LABELS)
    rows = []
    windows = [report["windows"][m] for m in MONTHS]
    for m, w in zip(MONTHS, windows, strict=True):
        done = w["completeness"]
        answered = (
            t.hidden
            if done["suppressed"]
            else t.percent(done["rate"], done["ci95"]) + f" · {done['answered']}/{done['n']}"
        )
        rows.append(
            [t.month(m)]
            + [t.hidden if w["suppressed"] else t.count(w[s]) for s in states]
            + [answered]
        )
    columns = [Column(t(N_("Window")))] + [Column(t(STATE_LABELS[s]), True) for s in states]
    columns.append(Column(t(N_("Answered of due (95 % CI)")), True))
    table = Table(
        t(N_("Follow-up check-ins by window and state")),
        columns,
        rows,
        [
            t(
                N_(
                    "Due: the window has closed, was answered, or the patient left follow-up. "
                    "Open now and upcoming windows are not yet due."
                )
            ),
            *_hidden_note(t, windows + [w["completeness"] for w in windows]),
        ],
    )
    intro = Paragraph(
        t(
            N_(
                "Every course has check-ins 1, 3, 6 and 12 months after treatment. Missing "
                "check-ins are counted here, not left out."
            )
        )
    )
    return Section("completeness", t(N_("Follow-up completeness")), [intro, table])


def _change_table(report: dict[str, Any], measure: str, t: Texts) -> Table:
    digits = DIGITS[measure]
    rows = []
    entries = []
    for m in MONTHS:
        e = report["windows"][m]["measures"][measure]
        entries.append(e)
        if e["suppressed"]:
            figures = [t.hidden, t.hidden, "—", "—"]
        else:
            figures = [
                t.estimate(e["mean_change"], e["ci95"], digits, signed=True),
                t.estimate(e["median_change"], e["median_ci95"], digits, signed=True),
                t.num(e["sd"], digits),
                t.num(e["standardised_response_mean"], 2),
            ]
        rows.append([t.month(m), f"{e['n']}/{e['n_due_with_baseline']}", *figures])
    columns = [
        Column(t(N_("Window"))),
        Column(t(N_("Pairs / due with a baseline")), True),
        Column(t(N_("Mean change (95 % CI)")), True),
        Column(t(N_("Median change (95 % CI)")), True),
        Column(t(N_("SD of change")), True),
        Column(t(N_("Standardised response mean")), True),
    ]
    return Table(t(MEASURE_LABELS[measure]), columns, rows, _hidden_note(t, entries))


def _change_chart(report: dict[str, Any], measure: str, t: Texts, prefix: str) -> Chart | None:
    points = []
    for m in MONTHS:
        e = report["windows"][m]["measures"][measure]
        low, high = e["ci95"] or (None, None)
        points.append(charts.WindowPoint(int(m), e["mean_change"], low, high, e["n"]))
    if all(p.mean is None for p in points):
        return None
    threshold = report["thresholds"].get(measure)
    figure = charts.change_by_window(
        points,
        title=t(N_("Change from baseline: %(measure)s"), measure=t(MEASURE_LABELS[measure])),
        axis=t(N_("Mean change, 95 % CI")),
        months_label=t(N_("Months after treatment")),
        threshold=threshold,
        threshold_label=t(N_("responder threshold"))
        if measure != "rescue_puffs_per_week"
        else t(N_("minimal important difference")),
        not_shown=t(N_("not shown")),
        lang=t.lang,
        digits=DIGITS[measure],
    )
    return Chart(f"{prefix}change-{measure}", figure)


def _change(report: dict[str, Any], t: Texts, measures: Sequence[str], prefix: str) -> Section:
    blocks: list[Block] = [
        Paragraph(
            t(
                N_(
                    "Change from the last value before treatment to the value at each check-in, "
                    "in the patients who have both (completers). ACT and ACQ are different "
                    "questionnaires: each patient has the one used at baseline. A higher ACT "
                    "and a lower ACQ are better."
                )
            )
        )
    ]
    for measure in measures:
        chart = _change_chart(report, measure, t, prefix)
        table = _change_table(report, measure, t)
        if chart is not None:
            chart.numbers = table
            blocks.append(chart)
        else:
            blocks.append(table)
    return Section("change", t(N_("Change from baseline")), blocks)


def _waterfalls(report: dict[str, Any], t: Texts) -> Section:
    blocks: list[Block] = [
        Paragraph(
            t(
                N_(
                    "Each bar is one patient's change at the window, sorted. Without a "
                    "comparison group the spread of individual changes says more than the "
                    "mean: some patients improve, some worsen."
                )
            )
        )
    ]
    rows = []
    entries = []
    for m in MONTHS:
        w = report["waterfall"][m]
        entries.append(w)
        measure = t(MEASURE_LABELS[w["measure"]])
        if w["suppressed"]:
            rows.append([t.month(m), measure, t.count(w["n"]), t.hidden, t.hidden])
            continue
        rows.append(
            [
                t.month(m),
                measure,
                t.count(w["n"]),
                t.count(w["reached_threshold"]),
                t.count(w["worse_by_threshold"]),
            ]
        )
        threshold = w["threshold"]
        digits = DIGITS[w["measure"]]
        figure = charts.waterfall(
            w["changes"],
            title=t(
                N_("Individual changes at month %(month)s: %(measure)s"), month=m, measure=measure
            ),
            axis=t(N_("Change from baseline")),
            threshold=threshold,
            threshold_label=t(N_("responder threshold"))
            + f" ({t.num(threshold, digits, signed=True)})",
            lang=t.lang,
            digits=digits,
        )
        blocks.append(Chart(f"waterfall-{m}", figure))
    table = Table(
        t(N_("Individual changes by window")),
        [
            Column(t(N_("Window"))),
            Column(t(N_("Measure"))),
            Column(t(N_("Patients")), True),
            Column(t(N_("Better by the threshold or more")), True),
            Column(t(N_("Worse by the threshold or more")), True),
        ],
        rows,
        _hidden_note(t, entries),
    )
    blocks.insert(1, table)
    return Section("waterfall", t(N_("Individual changes")), blocks)


def responder_label(key: str, threshold: float, t: Texts) -> str:
    """A definition in words with its own threshold (the report's, from the science)."""
    msgid, scale = RESPONDER_LABELS[key]
    value = threshold * scale
    return t(msgid, threshold=t.num(value, 0 if float(value).is_integer() else 1))


def _responders_table(responders: dict[str, Any], t: Texts, caption: str) -> Table:
    rows = []
    for key, r in responders.items():
        worst = r["worst_case"]
        rows.append(
            [
                responder_label(key, r["threshold"], t),
                t.count(r["n"]),
                t.hidden if r["suppressed"] else t.count(r["responders"]),
                t.hidden if r["suppressed"] else t.percent(r["rate"], r["ci95"]),
                t.count(r["n_eligible"]),
                t.hidden
                if worst["suppressed"]
                else t.percent(worst["rate"], worst["ci95"])
                + f" · {worst['responders']}/{worst['n']}",
            ]
        )
    columns = [
        Column(t(N_("Definition"))),
        Column(t(N_("Completers")), True),
        Column(t(N_("Responders")), True),
        Column(t(N_("Rate (95 % CI)")), True),
        Column(t(N_("Eligible")), True),
        Column(t(N_("Worst case: missing = no response (95 % CI)")), True),
    ]
    notes = [t(RESPONDER_NOTES[k]) for k in responders if k in RESPONDER_NOTES]
    return Table(caption, columns, rows, notes + _hidden_note(t, list(responders.values())))


def _responders(report: dict[str, Any], t: Texts, *, by_window: bool) -> Section:
    month = report["responders_window"]
    blocks: list[Block] = [
        Paragraph(
            t(
                N_(
                    "A response can be defined in several ways; every common definition is "
                    "shown side by side, none of them is a 'success rate'. The rate is over the "
                    "patients who answered (completers); the worst case counts every eligible "
                    "patient without an answer as no response."
                )
            )
        ),
        _responders_table(
            report["responders"],
            t,
            t(N_("Responders at month %(month)s"), month=month),
        ),
    ]
    if by_window:
        for m in MONTHS:
            if int(m) != month:
                blocks.append(
                    _responders_table(
                        report["responders_by_window"][m],
                        t,
                        t(N_("Responders at month %(month)s"), month=m),
                    )
                )
    return Section("responders", t(N_("Responders")), blocks)


def _rate_rows(e: dict[str, Any], t: Texts) -> list[list[str]]:
    if e["suppressed"]:
        return [[t(N_("Patients")), t.count(e["n"])], [t(N_("Rate ratio (95 % CI)")), t.hidden]]
    rows = [
        [t(N_("Patients")), t.count(e["n"])],
        [
            t(N_("Before: severe exacerbations in the 12 months before treatment")),
            t(
                N_("%(events)s in %(years)s patient-years: %(rate)s per patient-year"),
                events=t.count(e["events_before"]),
                years=t.num(e["exposure_before_years"], 1),
                rate=t.num(e["rate_before"], 2),
            ),
        ],
        [
            t(N_("After: severe exacerbations since treatment")),
            t(
                N_("%(events)s in %(years)s patient-years: %(rate)s per patient-year"),
                events=t.count(e["events_after"]),
                years=t.num(e["exposure_after_years"], 1),
                rate=t.num(e["rate_after"], 2),
            ),
        ],
        [
            t(N_("Rate ratio, after against before (95 % CI)")),
            t.estimate(e["rate_ratio"], e["ci95"], 2),
        ],
    ]
    return rows


def _exacerbations(report: dict[str, Any], t: Texts, *, detail: bool) -> Section:
    e = report["exacerbations"]
    rows = _rate_rows(e, t)
    if detail and not e["suppressed"] and e["model"]:
        poisson = e["poisson"] or {}
        rows += [
            [t(N_("Model")), t(MODEL_LABELS.get(e["model"], e["model"]))],
            [t(N_("Overdispersion (negative binomial alpha)")), t.num(e["alpha"], 3)],
            [t(N_("Likelihood-ratio test of overdispersion, p")), t.p_value(e["overdispersion_p"])],
            [
                t(N_("Poisson rate ratio (95 % CI)")),
                t.estimate(poisson.get("rate_ratio"), poisson.get("ci95"), 2),
            ],
            [
                t(N_("Poisson: Pearson chi-squared per degree of freedom")),
                t.num(poisson.get("pearson_chi2_per_df"), 2),
            ],
        ]
    table = Table(
        t(N_("Severe exacerbations before and after treatment")),
        [Column(t(N_("Figure"))), Column(t(N_("Value")), True)],
        rows,
        [
            t(
                N_(
                    "A rate ratio below 1 means fewer exacerbations per year after treatment "
                    "than before. It comes from a negative binomial model, which allows patients "
                    "to differ in how often they have exacerbations; the Poisson model is shown "
                    "beside it, and the overdispersion test decides between them."
                )
            ),
            *_hidden_note(t, [e]),
        ],
    )
    blocks: list[Block] = [table]
    if detail:
        blocks += _kaplan_meier(report["time_to_first_exacerbation"], t)
    return Section("exacerbations", t(N_("Severe exacerbations")), blocks)


def _kaplan_meier(km: dict[str, Any], t: Texts) -> list[Block]:
    heading = Heading(t(N_("Time to the first severe exacerbation after treatment")))
    if km["suppressed"]:
        return [
            heading,
            Paragraph(
                t(
                    N_("%(n)s patients: the curve is not shown (fewer than %(min)s)."),
                    n=km["n"],
                    min=t.min_cell,
                )
            ),
        ]
    rows = []
    for day in KM_DAYS:
        if km["end_day"] is None or day > km["end_day"]:
            continue
        i = max(j for j, time in enumerate(km["times"]) if time <= day)
        rows.append(
            [
                t.num(day, 0),
                t.percent(km["survival"][i], [km["ci_low"][i], km["ci_high"][i]]),
                t.count(km["at_risk"][i]),
            ]
        )
    median = (
        t(N_("%(days)s days"), days=t.num(km["median_days"], 0))
        if km["median_days"] is not None
        else t(N_("not reached"))
    )
    table = Table(
        t(N_("Free of severe exacerbation by day after treatment")),
        [
            Column(t(N_("Day"))),
            Column(t(N_("Free of severe exacerbation (95 % CI)")), True),
            Column(t(N_("At risk")), True),
        ],
        rows,
        [
            t(
                N_(
                    "%(n)s patients, %(events)s with a severe exacerbation, %(censored)s followed "
                    "until their last check-in or exit without one (censored). Median time to the "
                    "first exacerbation: %(median)s."
                ),
                n=km["n"],
                events=km["events"],
                censored=km["censored"],
                median=median,
            )
        ],
    )
    figure = charts.kaplan_meier(
        km["times"],
        km["survival"],
        [v if v is not None else 0.0 for v in km["ci_low"]],
        [v if v is not None else 1.0 for v in km["ci_high"]],
        title=t(N_("Free of severe exacerbation")),
        axis_x=t(N_("Days after treatment")),
        axis_y=t(N_("Patients free of severe exacerbation, 95 % band")),
        lang=t.lang,
        end_day=km["end_day"],
    )
    return [heading, Chart("km", figure, table)]


def _ae_grid(ae: dict[str, Any], t: Texts) -> Table:
    treated = ae["n"]
    rows = []
    for item in ae["by_term"] or []:
        cells = [f"{n} ({t.num(100 * n / treated, 0)} %)" if n else "0" for n in item["by_grade"]]
        rows.append([item["term"], *cells, t.count(item["serious"])])
    columns = [Column(t(N_("Event")))]
    columns += [Column(t(N_("Grade %(grade)s"), grade=g), True) for g in range(1, 6)]
    columns.append(Column(t(N_("Serious")), True))
    notes = [
        t(
            N_(
                "Patients with the event at each grade (CTCAE), of %(n)s patients treated. "
                "Grade 1 is mild, 2 moderate, 3 severe, 4 life-threatening, 5 fatal."
            ),
            n=treated,
        )
    ]
    if ae["suppressed"]:
        notes += _hidden_note(t, [ae])
    elif not rows:
        notes.insert(0, t(N_("No adverse event has been recorded.")))
    return Table(t(N_("Adverse events by grade")), columns, rows, notes)


def _adverse_events(report: dict[str, Any], t: Texts, *, detail: bool) -> Section:
    ae = report["adverse_events"]
    grid = _ae_grid(ae, t)
    blocks: list[Block] = []
    if detail and not ae["suppressed"] and ae["by_term"]:
        bars = [
            charts.EventBar(item["term"], tuple(item["by_grade"]), ae["n"])
            for item in ae["by_term"]
        ]
        figure = charts.adverse_events(
            bars,
            title=t(N_("Adverse events per patient treated")),
            axis=t(N_("Share of patients treated (%)")),
            grade_label=t(N_("Grade")),
            lang=t.lang,
        )
        blocks.append(Chart("adverse-events", figure, grid))
        rows = [
            [
                r["term"],
                t.count(r["grade"]),
                t(N_("yes")) if r["serious"] else t(N_("no")),
                f"{r['patients']}/{ae['n']}",
                t.percent(r["per_patient"], r["ci95"]),
            ]
            for r in ae["rows"]
        ]
        blocks.append(
            Table(
                t(N_("Adverse events by term, grade and seriousness")),
                [
                    Column(t(N_("Event"))),
                    Column(t(N_("Grade")), True),
                    Column(t(N_("Serious"))),
                    Column(t(N_("Patients")), True),
                    Column(t(N_("Per patient treated (95 % CI)")), True),
                ],
                rows,
            )
        )
    else:
        blocks.append(grid)
    return Section("adverse-events", t(N_("Adverse events")), blocks)


def limits(report: dict[str, Any], t: Texts) -> Section:
    return Section(
        "limits",
        t(N_("What this cannot show")),
        [Bullets([t(item["text"]) for item in report["limits"]])],
    )


# --- the whole view ----------------------------------------------------------------------


def _facts(report: dict[str, Any], t: Texts) -> list[tuple[str, str]]:
    return [
        (t(N_("Treated courses")), t.count(report["n_treated"])),
        (t(N_("Patients")), t.count(report["n_patients"])),
        (t(N_("Figures as of")), t.date(report["as_of"])),
        (t(N_("Registry data from")), t.moment(report["data_as_of"])),
    ]


def _notices(report: dict[str, Any], t: Texts) -> list[Paragraph]:
    out = []
    if report["n_synthetic"]:
        out.append(
            Paragraph(
                t(
                    N_(
                        "These figures include %(n)s synthetic (demo) courses of %(total)s: "
                        "made-up records for demonstration, not patients."
                    ),
                    n=report["n_synthetic"],
                    total=report["n_treated"],
                ),
                "warning",
            )
        )
    if report["n_treated"] < report["min_cell"]:
        out.append(
            Paragraph(
                t(
                    N_("Fewer than %(n)s treated courses match: most figures are not shown."),
                    n=report["min_cell"],
                ),
                "warning",
            )
        )
    return out


def staff_view(report: dict[str, Any], lang: str) -> ReportView:
    """The outcome report for the medical director and the physicians."""
    t = Texts(lang, report["min_cell"])
    return ReportView(
        t(N_("Outcome report")),
        _facts(report, t),
        _notices(report, t),
        [
            _completeness(report, t),
            _change(report, t, list(DIGITS), ""),
            _waterfalls(report, t),
            _responders(report, t, by_window=True),
            _exacerbations(report, t, detail=True),
            _adverse_events(report, t, detail=True),
            limits(report, t),
        ],
    )


def public_view(report: dict[str, Any], lang: str) -> ReportView:
    """The programme's figures for everyone: fewer tables, the same numbers."""
    t = Texts(lang, report["min_cell"])
    return ReportView(
        t(N_("Our results, with their limits")),
        _facts(report, t),
        _notices(report, t),
        [
            _completeness(report, t),
            _change(report, t, ("act", "acq"), "public-"),
            _responders(report, t, by_window=False),
            _exacerbations(report, t, detail=False),
            _adverse_events(report, t, detail=False),
            limits(report, t),
        ],
    )


def document_html(report: dict[str, Any], lang: str) -> str:
    """The staff report as one self-contained HTML file (the command line's ``--format
    html``): the page's sections, with a small stylesheet of its own."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("outcomes/report_document.html").render(
        view=staff_view(report, lang),
        lang=lang,
        filters=report["filters"],
        _=Texts(lang, report["min_cell"]),
    )
