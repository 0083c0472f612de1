"""The shipped CTCAE v5.0 catalogue (``ctcae_v5.toml``): the terms expected after an MSC
infusion, the grades each term has and each grade's definition, the MedDRA code where
clinical.md §4.1 marks it verified, and the generic meaning of each grade.

Source: NCI CTCAE v5.0 (27 Nov 2017), as paraphrased in clinical.md §4.1. A grade a term
does not have ("—" in CTCAE: Headache has no grade 4 or 5, Anaphylaxis no grade 1 or 2)
is refused by ``problems``. Term names are CTCAE's own English names (the international
vocabulary of adverse-event reports): the value stored with an event and what the API
answers. A German or Russian page shows each term's translation with the English name
beside it, and the grade definitions, notes and generic meanings translated
(``ctcae_texts`` marks them for the catalogues).
"""

from __future__ import annotations

import importlib.resources
import tomllib
from dataclasses import dataclass
from functools import cache

from respira.kit.marks import N_
from respira.kit.texts import Msg


@dataclass(frozen=True)
class Term:
    name: str
    grades: dict[int, str]  # grade → definition, only the grades the term has
    meddra_code: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Catalogue:
    version: str
    published: str
    source: str
    generic: dict[int, str]
    terms: tuple[Term, ...]

    def term(self, name: str) -> Term | None:
        """The term of this name (case and surrounding spaces ignored), or None."""
        wanted = " ".join(name.split()).casefold()
        return next((t for t in self.terms if t.name.casefold() == wanted), None)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.terms]

    @property
    def texts(self) -> frozenset[str]:
        """Every English text of the catalogue a page shows (to translate): term names,
        notes, grade definitions and the generic meanings of the grades."""
        return frozenset(
            {
                *self.names,
                *(t.note for t in self.terms if t.note),
                *(d for t in self.terms for d in t.grades.values()),
                *self.generic.values(),
            }
        )


def parse(text: str) -> Catalogue:
    data = tomllib.loads(text)
    terms = tuple(
        Term(
            name=t["name"],
            grades={int(g): str(d) for g, d in sorted(t["grades"].items())},
            meddra_code=t.get("meddra_code"),
            note=t.get("note"),
        )
        for t in data["term"]
    )
    for t in terms:
        if not t.grades or not set(t.grades) <= {1, 2, 3, 4, 5}:
            raise ValueError(f"CTCAE term {t.name!r} has grades outside 1-5 or none")
    return Catalogue(
        version=str(data["version"]),
        published=str(data["published"]),
        source=str(data["source"]),
        generic={int(g): str(d) for g, d in data["generic"].items()},
        terms=terms,
    )


@cache
def ctcae() -> Catalogue:
    """The shipped catalogue (read once)."""
    text = importlib.resources.files("respira.safety").joinpath("ctcae_v5.toml").read_text("utf-8")
    return parse(text)


def grade_problem(term_name: str, grade: int) -> dict[str, str]:
    """``{field: message}`` for an unknown term or a grade the term does not have: the
    English text for the API, a ``Msg`` that a page shows in the reader's language (the
    term's name translated there)."""
    cat = ctcae()
    term = cat.term(term_name)
    if term is None:
        return {
            "term": Msg(
                N_(
                    "%(term)s is not a CTCAE v%(version)s term of Respira's catalogue; "
                    "use one of: %(terms)s"
                ),
                term=repr(term_name),
                version=cat.version,
                terms=", ".join(cat.names),
            )
        }
    if grade not in term.grades:
        return {
            "grade": Msg(
                N_(
                    "%(term)s has no grade %(grade)s in CTCAE v%(version)s "
                    "(its grades are %(have)s)"
                ),
                term=Msg(term.name),
                grade=grade,
                version=cat.version,
                have=", ".join(str(g) for g in term.grades),
            )
        }
    return {}
