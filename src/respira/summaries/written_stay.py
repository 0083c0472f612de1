"""The sections of the summary about the stay, in one language: the course as given
(the cell source, the stays, the dose per kg and in total, each administration with its
unit's DIN and lot, the supporting therapies done and skipped), the vital signs and
reactions of each administration (a temperature of 38.0 °C or more marked ▲: fever,
CTCAE v5.0 grade 1 from 38.0 °C; clinical.md §0) and the adverse events with their
grade, seriousness, causality and outcome (clinical.md §4)."""

from __future__ import annotations

from typing import Any

from respira.summaries import texts as t
from respira.summaries.blocks import Facts, Paragraph, Section, Table
from respira.summaries.texts import Words

# CTCAE v5.0 fever, grade 1 from 38.0 °C (clinical.md §0).
FEVER_C = 38.0
FEVER_MARK = "▲"


def course(section: Section, courses: list[dict[str, Any]], _c: dict[str, Any], _: Words) -> None:
    for c in courses:
        section.blocks.append(
            Paragraph(
                _(
                    "Course %(number)s (version %(version)s), approved by %(name)s on %(date)s",
                    number=c["number"],
                    version=c["version"],
                    name=c["approved_by"] or "—",
                    date=_.date(c["approved_at"]),
                ),
                "subhead",
            )
        )
        items = [
            (_("Cell source"), _.label(t.SOURCES, c["source"])),
            (
                _("Planned stay"),
                _(
                    "%(start)s to %(end)s (%(days)s days)",
                    start=_.date(c["start_date"]),
                    end=_.date(c["end_date"]),
                    days=c["stay_days"],
                ),
            ),
        ]
        for stay in c["stays"]:
            items.append(
                (
                    _("Stay"),
                    _(
                        "admitted %(admitted)s, discharged %(discharged)s",
                        admitted=_.datetime(stay["admitted_at"]),
                        discharged=_.datetime(stay["discharged_at"])
                        if stay["discharged_at"]
                        else _("not yet"),
                    ),
                )
            )
        items.append(
            (
                _("Body weight for the dose"),
                _(
                    "%(weight)s kg, measured on %(date)s",
                    weight=_.num(c["weight_kg"], 1),
                    date=_.date(c["weight_measured_on"]),
                ),
            )
        )
        if c["premedication"]:
            items.append((_("Premedication"), c["premedication"]))
        planned_iv = c["planned_infusions"]
        given_iv = [g for g in c["given"] if g["route"] == "iv"]
        items.append(
            (
                _("Intravenous cells given"),
                _(
                    "%(cells)s ×10⁶ cells in total, %(per_kg)s ×10⁶ cells/kg body weight; "
                    "%(given)s of %(planned)s planned infusions",
                    cells=_.num(c["iv_cells_million_total"], 1),
                    per_kg=_.num(c["iv_dose_million_per_kg_total"], 2),
                    given=len(given_iv),
                    planned=len(planned_iv),
                ),
            )
        )
        if planned_iv:
            doses = ", ".join(
                _(
                    "day %(day)s: %(dose)s ×10⁶/kg",
                    day=i["day"],
                    dose=_.num(i["dose_million_per_kg"], 2),
                )
                for i in planned_iv
            )
            items.append((_("Planned intravenous doses"), doses))
        if c["planned_nebulisations"]:
            items.append(
                (
                    _("Nebulised doses"),
                    _(
                        "%(given)s of %(planned)s planned given (%(amount)s ×10⁶ cells each)",
                        given=c["nebulisations_given"],
                        planned=len(c["planned_nebulisations"]),
                        amount=_.num(c["planned_nebulisations"][0]["amount_million"], 0),
                    ),
                )
            )
        section.blocks.append(Facts(items))
        if c["given"]:
            section.blocks.append(
                Table(
                    _("Administrations given"),
                    [
                        _("Date"),
                        _("Day"),
                        _("Route"),
                        _("Unit (DIN)"),
                        _("Lot"),
                        _("Cells ×10⁶"),
                        _("×10⁶ cells/kg"),
                        _("Volume mL"),
                    ],
                    [
                        [
                            _.datetime(g["started_at"]),
                            str(g["infusion_day"] or "—"),
                            _.label(t.ROUTES, g["route"]),
                            g["din"],
                            g["lot_code"] or "—",
                            _.num(g["cells_million"], 1),
                            _.num(g["dose_million_per_kg"], 2),
                            _.num(g["volume_ml"], 0),
                        ]
                        for g in c["given"]
                    ],
                    widths=(1.8, 0.5, 1.3, 1.5, 1.4, 0.8, 0.9, 0.8),
                )
            )
        if c["supporting"]:
            section.blocks.append(
                Table(
                    _("Supporting therapies"),
                    [_("Therapy"), _("Planned"), _("Done"), _("Skipped"), _("Days of the stay")],
                    [
                        [
                            _.label(t.SUPPORTING, s["modality"]),
                            str(s["planned"]),
                            str(s["done"]),
                            str(s["skipped"]),
                            ", ".join(str(d) for d in s["days"]),
                        ]
                        for s in c["supporting"]
                    ],
                    widths=(2.5, 0.8, 0.8, 0.8, 1.6),
                )
            )


def _vital(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def administrations(
    section: Section, items: list[dict[str, Any]], _c: dict[str, Any], _: Words
) -> None:
    if not items:
        return
    rows: list[list[str]] = []
    strong: set[tuple[int, int]] = set()
    reactions: list[tuple[str, str]] = []
    fever = False
    for a in items:
        when = f"{_.datetime(a['started_at'])}, {_.label(t.ROUTES, a['route'])}"
        for i, v in enumerate(a["vitals"]):
            temperature = _.num(v["temperature_c"], 1)
            if v["temperature_c"] is not None and v["temperature_c"] >= FEVER_C:
                temperature += " " + FEVER_MARK
                strong.add((len(rows), 2))
                fever = True
            pressure = "—"
            if v["systolic_mmhg"] is not None and v["diastolic_mmhg"] is not None:
                pressure = f"{_vital(v['systolic_mmhg'])}/{_vital(v['diastolic_mmhg'])}"
            rows.append(
                [
                    when if i == 0 else "",
                    _.label(t.PHASES, v["phase"]),
                    temperature,
                    _vital(v["heart_rate_bpm"]),
                    pressure,
                    _vital(v["spo2_pct"]),
                    _vital(v["respiratory_rate_per_min"]),
                ]
            )
        observed = ", ".join(_.label(t.REACTIONS, r) for r in a["reactions"])
        text = observed or _("no reaction observed")
        if a["reaction_notes"]:
            text += f" ({a['reaction_notes']})"
        reactions.append((when, text))
    section.blocks.append(
        Table(
            _("Vital signs before, during and after each administration"),
            [
                _("Administration"),
                _("Phase"),
                _("Temperature °C"),
                _("Heart rate /min"),
                _("Blood pressure mmHg"),
                _("SpO2 %"),
                _("Breaths /min"),
            ],
            rows,
            frozenset(strong),
            (2.4, 0.9, 1.1, 0.9, 1.1, 0.7, 0.8),
        )
    )
    if fever:
        section.blocks.append(
            Paragraph(_("▲ 38.0 °C or more: fever (CTCAE v5.0 grade 1 or higher)."), "note")
        )
    section.blocks.append(Paragraph(_("Reactions observed"), "subhead"))
    section.blocks.append(Facts(reactions))


def adverse_events(
    section: Section, events: list[dict[str, Any]], _c: dict[str, Any], _: Words
) -> None:
    if not events:
        return
    rows: list[list[str]] = []
    strong: set[tuple[int, int]] = set()
    for i, e in enumerate(events):
        serious = _("no")
        if e["serious"]:
            strong.add((i, 3))
            criteria = ", ".join(_.label(t.SERIOUS_CRITERIA, c) for c in e["serious_criteria"])
            serious = _("SERIOUS") + f": {criteria}"
        rows.append(
            [
                _.date(e["onset_date"]),
                e["term"],
                str(e["grade"]),
                serious,
                _.label(t.CAUSALITY, e["causality"]),
                _.yes_no(e["expected"]),
                _.label(t.OUTCOMES, e["outcome"]) if e["outcome"] else "—",
                _.date(e["resolution_date"]) if e["resolution_date"] else _("ongoing"),
            ]
        )
    section.blocks.append(
        Table(
            _("Adverse events (CTCAE v5.0 grades), oldest first"),
            [
                _("Onset"),
                _("Event"),
                _("Grade"),
                _("Serious"),
                _("Causality"),
                _("Expected"),
                _("Outcome"),
                _("Resolved"),
            ],
            rows,
            frozenset(strong),
            (1.0, 1.6, 0.55, 1.5, 1.55, 0.9, 1.1, 1.2),
        )
    )
    actions = [
        (f"{_.date(e['onset_date'])}, {e['term']}", e["action"]) for e in events if e["action"]
    ]
    if actions:
        section.blocks.append(Paragraph(_("Action taken"), "subhead"))
        section.blocks.append(Facts(actions))
