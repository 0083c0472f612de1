"""The summary's content written out in one language: sections of facts, tables and
charts (``respira.summaries.blocks``), every section present, with "nothing recorded
yet" where its data does not exist. The sections are written by

- ``respira.summaries.written_before`` — the diagnosis and the diagnostics before
  treatment;
- ``respira.summaries.written_stay`` — the course as given, the vital signs and
  reactions, the adverse events;
- ``respira.summaries.written_after`` — the follow-up results and the current
  medication;

and here: the patient's identity, the physician's recommendations, the limits of what
the numbers can show, and the signature. Marks that a value stands out are words or
symbols as well as bold type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel import Locale

from respira.kit import i18n
from respira.kit.config import get_settings
from respira.kit.marks import N_
from respira.summaries import texts as t
from respira.summaries import written_after, written_before, written_stay
from respira.summaries.blocks import Document, Facts, Paragraph, Section
from respira.summaries.content import SECTIONS
from respira.summaries.texts import Words


@dataclass(frozen=True)
class Meta:
    """What the document says about itself: its kind, version, language and signature."""

    kind: str
    version: int
    language: str
    draft: bool
    made_at: str
    signed_by: str | None = None
    signed_at: str | None = None
    what_changed: str | None = None
    changed_sections: tuple[str, ...] = ()


def build(content: dict[str, Any], meta: Meta, lang: str) -> Document:
    """The document in ``lang`` (the patient's language, or English for the copy)."""
    _ = Words(lang)
    sections = content["sections"]
    identity = sections["identity"]
    settings = get_settings()
    letterhead = letterhead_lines(_)
    other = "en" if lang != "en" else meta.language
    intro = _(
        "A summary of the patient's treatment programme for the physicians who care for "
        "them, written in %(language)s.",
        language=i18n.language_name(lang),
    )
    if other != lang:
        intro += " " + _(
            "A copy in %(language)s was made with it.", language=i18n.language_name(other)
        )
    builders: dict[str, Any] = {
        "identity": _identity,
        "diagnosis": written_before.diagnosis,
        "diagnostics": written_before.diagnostics,
        "course": written_stay.course,
        "administrations": written_stay.administrations,
        "adverse_events": written_stay.adverse_events,
        "follow_up": written_after.follow_up,
        "medication": written_after.medication,
        "recommendations": _recommendations,
        "limits": _limits,
    }
    full_name = f"{identity['last_name']}, {identity['first_name']}"
    built = []
    for key in SECTIONS:
        section = Section(key, _(t.SECTION_TITLES[key]))
        builders[key](section, sections[key], content, _)
        if not section.blocks:
            section.empty = True
            section.blocks.append(Paragraph(_(t.EMPTY[key]), "note"))
        built.append(section)
    return Document(
        lang=lang,
        title=_(t.KIND_TITLES[meta.kind]),
        version_line=_("Version %(version)s", version=meta.version),
        letterhead=letterhead,
        patient_line=_(
            "%(name)s, born %(born)s, record number %(mrn)s",
            name=full_name,
            born=_.date(identity["date_of_birth"]),
            mrn=identity["medical_record_number"],
        ),
        intro=intro,
        sections=built,
        signature=_signature(meta, _),
        draft=meta.draft,
        draft_mark=_("DRAFT"),
        page_label=_("Page %(page)s of %(pages)s"),
        author=settings.clinic_name,
    )


def letterhead_lines(_: Words) -> list[str]:
    """The clinic's letterhead (its name, address and phone) in the document's language:
    the summaries' and every other printed document's (a quote)."""
    settings = get_settings()
    lines = [settings.clinic_name]
    lines += [line.strip() for line in settings.clinic_address.split("\n") if line.strip()]
    if settings.clinic_phone:
        lines.append(_("Phone: %(phone)s", phone=settings.clinic_phone))
    return lines


def title(kind: str, lang: str) -> str:
    return Words(lang)(t.KIND_TITLES[kind])


# --- sections ---------------------------------------------------------------------------


def _identity(section: Section, data: dict[str, Any], _c: dict[str, Any], _: Words) -> None:
    country = Locale.parse(_.lang).territories.get(data["country"], data["country"])
    items = [
        (_("Name"), f"{data['last_name']}, {data['first_name']}"),
        (_("Date of birth"), _.date(data["date_of_birth"])),
        (_("Sex at birth"), _.label(t.SEX, data["sex_at_birth"])),
        (_("Medical record number"), data["medical_record_number"]),
        (_("Country"), country),
    ]
    if data["height_cm"] is not None:
        items.append((_("Height"), _("%(value)s cm", value=_.num(data["height_cm"], 0))))
    if data["weight_kg"] is not None:
        items.append((_("Weight"), _("%(value)s kg", value=_.num(data["weight_kg"], 1))))
    section.blocks.append(Facts(items))


def _recommendations(section: Section, text: str | None, _c: dict[str, Any], _: Words) -> None:
    if not text:
        return
    for part in (p.strip() for p in text.replace("\r\n", "\n").split("\n\n")):
        if part:
            section.blocks.append(Paragraph(part, "quote"))
    section.blocks.append(Paragraph(_("As written by the treating physician."), "note"))


def _limits(section: Section, _d: Any, _c: dict[str, Any], _: Words) -> None:
    for text in t.LIMITS:
        section.blocks.append(Paragraph(_(text)))


# --- the signature ----------------------------------------------------------------------


def _signature(meta: Meta, _: Words) -> list[str]:
    lines = []
    if meta.draft:
        lines.append(
            _(
                "DRAFT, not signed: not valid as a medical document until the physician "
                "signs it. Made on %(when)s.",
                when=_.datetime(meta.made_at),
            )
        )
    else:
        lines.append(
            _(
                "Electronically signed by %(name)s on %(when)s. Meaning of the signature: "
                "%(meaning)s.",
                name=meta.signed_by or "—",
                when=_.datetime(meta.signed_at),
                meaning=_(N_("approved summary")),
            )
        )
    if meta.version > 1:
        lines.append(
            _(
                "This version corrects version %(previous)s. What changed: %(text)s",
                previous=meta.version - 1,
                text=meta.what_changed or "—",
            )
        )
        if meta.changed_sections:
            names = ", ".join(
                _(t.SECTION_TITLES[k]) for k in meta.changed_sections if k in t.SECTION_TITLES
            )
            lines.append(
                _(
                    "Sections that differ from version %(previous)s: %(sections)s.",
                    previous=meta.version - 1,
                    sections=names,
                )
            )
    return lines
