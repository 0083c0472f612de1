"""The sections of the summary about the time after treatment, in one language: the
follow-up results over time against the baseline before treatment (a chart and a table)
and the current medication with the statement that it continues unless the treating
physician changes it.

A change at least as large as the minimal clinically important difference is marked ▲
(better) or ▼ (worse) as well as in bold: ACT 3 points, ACQ 0.5 (clinical.md §1, §6),
FEV1 0.2 L (``science.control.FEV1_MCID_L``), rescue use 0.81 puffs a day (AHRQ CER 201,
clinical.md §6); oral corticosteroid a fall of 50% or more (a common target, SIRIUS/ZONDA;
not an MCID); severe exacerbations 50% fewer a year than in the 12 months before, judged
over six months or more (often used; no formal MCID)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from respira.science.control import (
    CONTROL_MCID,
    FEV1_MCID_L,
    RESCUE_MCID_PUFFS_PER_DAY,
)
from respira.summaries import texts as t
from respira.summaries.blocks import Chart, Facts, Paragraph, Section, Table
from respira.summaries.texts import Words

RESCUE_MCID_PUFFS_PER_WEEK = round(RESCUE_MCID_PUFFS_PER_DAY * 7, 2)
# Oral corticosteroid and exacerbations: a fall of half or more (clinical.md §6).
HALF = 0.5
BETTER, WORSE = "▲", "▼"


def _marked(
    change: float | None, mcid: float, better: int, digits: int, _: Words
) -> tuple[str, bool]:
    """A change with ▲/▼ when it is at least the MCID (▲ in the better direction)."""
    if change is None:
        return "—", False
    text = _.signed(change, digits)
    if abs(change) >= mcid - 1e-9:
        return f"{text} {BETTER if change * better > 0 else WORSE}", True
    return text, False


def follow_up(section: Section, f: dict[str, Any], content: dict[str, Any], _: Words) -> None:
    """The baseline, the chart and the table of the check-ins, the MCIDs' legend, the
    exacerbations since treatment, and the check-ins still to come."""
    b = f["baseline"]
    check_ins = f["check_ins"]
    if check_ins:
        section.blocks.append(Paragraph(_baseline_text(b, _)))
        section.blocks.append(_follow_up_chart(b, check_ins, _))
        section.blocks.append(_follow_up_table(b, check_ins, _))
        section.blocks.append(Paragraph(_mcid_legend(_), "note"))
        exacerbations = _exacerbation_text(b, check_ins, content.get("treatment_start"), _)
        if exacerbations:
            section.blocks.append(Paragraph(exacerbations))
    if f["planned"]:
        planned = "; ".join(
            _(
                "month %(month)s: %(start)s to %(end)s",
                month=p["month"],
                start=_.date(p["window_start"]),
                end=_.date(p["window_end"]),
            )
            for p in f["planned"]
            if p["state"] in ("upcoming", "open")
        )
        if planned:
            section.blocks.append(Paragraph(_("Check-ins still to come: %(list)s.", list=planned)))


def _baseline_text(b: dict[str, Any], _: Words) -> str:
    parts = []
    if b["score"] is not None and b["instrument"]:
        parts.append(
            f"{t.INSTRUMENTS[b['instrument']]} {_.num(b['score'], t.score_digits(b['instrument']))}"
        )
    if b["rescue_puffs_per_week"] is not None:
        parts.append(
            _("reliever %(puffs)s puffs a week", puffs=_.num(b["rescue_puffs_per_week"], 0))
        )
    if b["severe_exacerbations_12m"] is not None:
        parts.append(
            _("%(count)s severe exacerbations in 12 months", count=b["severe_exacerbations_12m"])
        )
    if b["ocs_mg_per_day"] is not None:
        parts.append(_("oral corticosteroid %(dose)s mg/day", dose=_.num(b["ocs_mg_per_day"], 1)))
    if b["fev1_l"] is not None:
        parts.append(_("FEV1 %(value)s L", value=_.num(b["fev1_l"], 2)))
    if not parts:
        return _("No baseline before treatment was recorded.")
    return _("Baseline before treatment: %(values)s.", values="; ".join(parts))


def _follow_up_table(b: dict[str, Any], check_ins: list[dict[str, Any]], _: Words) -> Table:
    rows = [
        [
            _("baseline"),
            _.date(b["on"]),
            _.num(b["score"], t.score_digits(b["instrument"])),
            _.num(b["rescue_puffs_per_week"], 0),
            _("%(count)s severe in 12 months", count=b["severe_exacerbations_12m"])
            if b["severe_exacerbations_12m"] is not None
            else "—",
            _.num(b["ocs_mg_per_day"], 1),
            _.num(b["fev1_l"], 2),
        ]
    ]
    strong = set()
    for c in check_ins:
        r = len(rows)
        mcid, better = CONTROL_MCID.get(c["instrument"], (float("inf"), 1))
        digits = t.score_digits(c["instrument"])
        change, hit = _marked(c["change_from_baseline"], mcid, better, digits, _)
        score = f"{_.num(c['score'], digits)} ({change})"
        if hit:
            strong.add((r, 2))
        rescue = _.num(c["rescue_puffs_per_week"], 0)
        if b["rescue_puffs_per_week"] is not None:
            delta = c["rescue_puffs_per_week"] - b["rescue_puffs_per_week"]
            marked, hit = _marked(delta, RESCUE_MCID_PUFFS_PER_WEEK, -1, 0, _)
            rescue += f" ({marked})"
            if hit:
                strong.add((r, 3))
        ocs = _.num(c["ocs_mg_per_day"], 1)
        base_ocs = b["ocs_mg_per_day"]
        if base_ocs:
            delta = c["ocs_mg_per_day"] - base_ocs
            marked, hit = _marked(delta, base_ocs * HALF, -1, 1, _)
            ocs += f" ({marked})"
            if hit:
                strong.add((r, 5))
        fev1 = _.num(c["fev1_l"], 2)
        if c["fev1_l"] is not None and b["fev1_l"] is not None:
            marked, hit = _marked(c["fev1_l"] - b["fev1_l"], FEV1_MCID_L, 1, 2, _)
            fev1 += f" ({marked})"
            if hit:
                strong.add((r, 6))
        rows.append(
            [
                _("month %(month)s", month=c["month"]),
                _.date(c["answered_on"]),
                score,
                rescue,
                _exacerbations(c, _),
                ocs,
                fev1,
            ]
        )
    instrument = t.INSTRUMENTS.get(b["instrument"] or check_ins[0]["instrument"], "")
    return Table(
        _("Follow-up against the baseline (change from baseline in brackets)"),
        [
            _("Check-in"),
            _("Date"),
            _("%(instrument)s score", instrument=instrument),
            _("Reliever puffs a week"),
            _("Exacerbations since the last check-in"),
            _("Oral corticosteroid mg/day"),
            _("FEV1 L"),
        ],
        rows,
        frozenset(strong),
        (1.0, 1.2, 1.2, 1.2, 1.5, 1.2, 1.2),
    )


def _exacerbations(c: dict[str, Any], _: Words) -> str:
    if not c["severe_exacerbations"]:
        return str(c["exacerbations"])
    return _("%(all)s, %(severe)s severe", all=c["exacerbations"], severe=c["severe_exacerbations"])


def _mcid_legend(_: Words) -> str:
    return _(
        "▲ better, ▼ worse by at least the minimal clinically important difference (MCID): "
        "ACT 3 points, ACQ 0.5, FEV1 0.2 L, reliever 0.81 puffs a day (5.7 a week); oral "
        "corticosteroid: a change of half the baseline dose or more (a common target, not an "
        "MCID). Severe exacerbation: one that needed a course of systemic corticosteroids "
        "(ATS/ERS 2009)."
    )


def _exacerbation_text(
    b: dict[str, Any], check_ins: list[dict[str, Any]], start: str | None, _: Words
) -> str | None:
    if start is None or b["severe_exacerbations_12m"] is None:
        return None
    last = max(dt.date.fromisoformat(c["answered_on"]) for c in check_ins)
    months = (last - dt.date.fromisoformat(start)).days / 30.4375
    if months <= 0:
        return None
    severe = sum(c["severe_exacerbations"] for c in check_ins)
    rate = severe / months * 12
    text = _(
        "Severe exacerbations since treatment: %(count)s in %(months)s months (%(rate)s a year), "
        "against %(before)s in the 12 months before.",
        count=severe,
        months=_.num(months, 1),
        rate=_.num(rate, 1),
        before=b["severe_exacerbations_12m"],
    )
    # Judged only over half a year or more: a month without an attack says little.
    if (
        months >= 6
        and b["severe_exacerbations_12m"]
        and rate <= b["severe_exacerbations_12m"] * HALF
    ):
        text += " " + _(
            "That is half or less of the rate before (a threshold often used; there is no "
            "formal MCID)."
        )
    return text


def _follow_up_chart(b: dict[str, Any], check_ins: list[dict[str, Any]], _: Words) -> Chart:
    instrument = b["instrument"] or check_ins[0]["instrument"]
    mcid, better = CONTROL_MCID.get(instrument, (None, 1))
    control = [(0, b["score"])] if b["score"] is not None else []
    control += [(c["month"], c["score"]) for c in check_ins]
    fev1 = [(0, b["fev1_l"])] if b["fev1_l"] is not None else []
    fev1 += [(c["month"], c["fev1_l"]) for c in check_ins if c["fev1_l"] is not None]
    described = "; ".join(
        _("month %(month)s", month=m) + f": {_.num(s, t.score_digits(instrument))}"
        for m, s in control
    )
    return Chart(
        "follow_up",
        _("Follow-up over time (month 0: baseline before treatment)"),
        _(
            "%(instrument)s score by month after treatment: %(values)s.",
            instrument=t.INSTRUMENTS.get(instrument, instrument),
            values=described,
        ),
        {
            "control": control,
            "control_mcid": None
            if mcid is None or b["score"] is None
            else b["score"] + mcid * better,
            "fev1": fev1,
            "fev1_mcid": None if b["fev1_l"] is None else b["fev1_l"] + FEV1_MCID_L,
            "labels": {
                "control": _(
                    "%(instrument)s score", instrument=t.INSTRUMENTS.get(instrument, instrument)
                ),
                "fev1": _("FEV1 (L)"),
                "month": _("months after treatment"),
                "mcid": _("baseline + MCID"),
            },
        },
    )


def medication(section: Section, m: dict[str, Any], _c: dict[str, Any], _: Words) -> None:
    h = m["history"]
    if h:
        ocs = _("none")
        if h["maintenance_ocs"]:
            ocs = _(
                "%(dose)s mg/day prednisone-equivalent", dose=_.num(h["ocs_dose_mg_per_day"], 1)
            )
        items = [
            (_("Inhaled corticosteroid"), _.label(t.ICS_LEVELS, h["ics_dose_level"])),
            (_("Long-acting beta-agonist (LABA)"), _.yes_no(h["laba"])),
            (_("Long-acting muscarinic antagonist (LAMA)"), _.yes_no(h["lama"])),
            (_("Maintenance oral corticosteroid"), ocs),
            (_("Biologic"), _("none") if h["biologic"] == "none" else h["biologic"]),
            (_("GINA treatment step"), str(h["gina_step"])),
        ]
        section.blocks.append(
            Paragraph(_("As recorded before treatment, on %(date)s:", date=_.date(h["on"])))
        )
        section.blocks.append(Facts(items))
    if m["changes"]:
        section.blocks.append(Paragraph(_("Changes the patient reported since"), "subhead"))
        section.blocks.append(
            Facts(
                [
                    (
                        _("month %(month)s", month=c["month"]) + f", {_.date(c['answered_on'])}",
                        c["text"],
                    )
                    for c in m["changes"]
                ]
            )
        )
    if not section.blocks:
        section.empty = True
        section.blocks.append(Paragraph(_(t.EMPTY["medication"]), "note"))
    section.blocks.append(Paragraph(_(t.MEDICATION_STATEMENT), "statement"))
