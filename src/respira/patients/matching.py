"""Whether two registrations are probably the same person: names compared across
accents, German umlaut spellings and Cyrillic/Latin transliteration, and phone numbers
compared in their international (E.164) form.

Everything here is a pure function of its arguments (no database), so that the rules
are tested on their own and the registry, the intake conversion and the triage flags
all apply the same ones.

A name is reduced to a *spelling skeleton* before it is compared:

1. Cyrillic letters are written in Latin letters (BGN/PCGN romanisation of Russian,
   with the Ukrainian and Kazakh letters; ``й`` as ``i``): "Иванова" → "ivanova".
2. Accents are removed after NFKD decomposition and the text is case-folded ("ß" →
   "ss"); letters that do not decompose are written out ("ø" → "o", "ł" → "l").
3. Spellings that stand for the same sound in the clinic's languages are made one:
   the German "ae/oe/ue" for "ä/ö/ü" ("Mueller" and "Müller" → "muler"), "w" and "v"
   ("Iwanowa" → "ivanova"), "y", "j" and "i" ("Sergey", "Sergej" → "sergei"), "kh" and
   "h", "x" and "ks", "ph" and "f", "sch" and "sh", "tsch" and "ch", "ck" and "k"; a
   doubled letter is written once ("Mariya" → "maria", "Dmitrii" → "dmitri").

Two names are then compared word by word with the Jaro-Winkler similarity, whatever
the order of the words ("Иванова Мария" and "Maria Ivanova"), and a patronymic or a
second given name present in only one of them does not count against the match.
"""

from __future__ import annotations

import re
import unicodedata

# A name pair at or above this score (0-1) is a probable match. Chosen on the test
# pairs in tests/patients/test_matching.py: transliteration and umlaut variants score
# 0.94 or more after the skeleton, one-letter typos 0.88 or more, and different given
# names with the same family name (Anna and Jonas Müller, Olga and Irina Smirnova)
# 0.80 or less.
NAME_MATCH_THRESHOLD = 0.85

# BGN/PCGN romanisation of Russian (1947), й written "i" so that "Sergei"/"Sergey" and
# "Сергей" meet; with the Ukrainian and Kazakh letters the clinic's requests use.
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Ukrainian
    "є": "ye", "і": "i", "ї": "yi", "ґ": "g",
    # Kazakh
    "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
}  # fmt: skip
# Latin letters that NFKD does not decompose into a base letter and a mark.
_LATIN_EXTRA = {
    "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
    "ħ": "h", "ŀ": "l", "ŧ": "t",
}  # fmt: skip
# Spelling variants made one, in this order (longer patterns first). "yo" after a
# consonant is the romanisation of "ё", which Russian passports and most people write
# "e" ("Pyotr"/"Petr", "Fyodor"/"Fedor", "Alyona"/"Alena").
_VARIANTS = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        ("tsch", "ch"),
        ("sch", "sh"),
        ("ae", "a"),
        ("oe", "o"),
        ("ue", "u"),
        ("kh", "h"),
        ("ph", "f"),
        ("ck", "k"),
        ("x", "ks"),
        ("w", "v"),
        ("(?<=[bcdfgklmnprstvz])yo", "e"),
        ("y", "i"),
        ("j", "i"),
    )
)
_NOT_LETTER = re.compile(r"[^a-z0-9]+")
_DOUBLED = re.compile(r"(.)\1+")


def fold_latin(text: str) -> str:
    """Text in lower-case Latin letters without accents: Cyrillic transliterated,
    accents removed, case folded ("Ёлкина" → "elkina", "Straße" → "strasse")."""
    out = []
    for ch in unicodedata.normalize("NFC", text).casefold():
        if ch in _CYRILLIC:
            out.append(_CYRILLIC[ch])
        elif ch in _LATIN_EXTRA:
            out.append(_LATIN_EXTRA[ch])
        else:
            decomposed = unicodedata.normalize("NFKD", ch)
            out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out).casefold()


def skeleton(text: str) -> str:
    """A name's spelling skeleton (see the module's description): the words of the
    name, in Latin letters, with spelling variants made one, separated by one space."""
    words = []
    for word in _NOT_LETTER.split(fold_latin(text)):
        for pattern, replacement in _VARIANTS:
            word = pattern.sub(replacement, word)
        word = _DOUBLED.sub(r"\1", word)
        if word:
            words.append(word)
    return " ".join(words)


def name_key(first_name: str, last_name: str) -> str:
    """What the search index holds for a name (the skeleton of both names)."""
    return skeleton(f"{first_name} {last_name}")


def jaro_winkler(a: str, b: str, prefix_scale: float = 0.1) -> float:
    """The Jaro-Winkler similarity of two strings (1 = equal, 0 = nothing in common)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    a_matched = [False] * len(a)
    b_matched = [False] * len(b)
    matches = 0
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not b_matched[j] and b[j] == ch:
                a_matched[i] = b_matched[j] = True
                matches += 1
                break
    if matches == 0:
        return 0.0
    a_seq = [ch for ch, m in zip(a, a_matched, strict=True) if m]
    b_seq = [ch for ch, m in zip(b, b_matched, strict=True) if m]
    transpositions = sum(x != y for x, y in zip(a_seq, b_seq, strict=True)) / 2
    jaro = (matches / len(a) + matches / len(b) + (matches - transpositions) / matches) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * prefix_scale * (1 - jaro)


def _coverage(words: list[str], others: list[str]) -> float:
    """How well every one of ``words`` is found among ``others`` (each word of
    ``others`` used once): the score of the word found worst."""
    remaining = list(others)
    worst = 1.0
    for word in sorted(words, key=len, reverse=True):
        if not remaining:
            return 0.0
        scores = [jaro_winkler(word, other) for other in remaining]
        best_i = max(range(len(scores)), key=scores.__getitem__)
        worst = min(worst, scores[best_i])
        remaining.pop(best_i)
    return worst


def name_similarity(a: str, b: str) -> float:
    """How alike two full names are (0-1), word order ignored, after the skeleton.

    The words of the name with fewer words are each matched to the most similar word
    of the other, and the score is that of the word matched worst (a shared family
    name does not make two given names alike); a name of at least two words is thus
    matched by a longer one that
    adds a patronymic or a second given name ("Мария Петровна Иванова" and "Maria
    Ivanova" score 1.0). A single word is compared with every word of the other
    name: one shared word is not a match."""
    return words_similarity(skeleton(a).split(), skeleton(b).split())


def words_similarity(wa: list[str], wb: list[str]) -> float:
    """``name_similarity`` of two names given as the words of their skeletons (a caller
    that compares one name with many computes its skeleton once, and the registry keeps
    each patient's as ``name_key``)."""
    if not wa or not wb:
        return 0.0
    shorter, longer = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    if len(shorter) >= 2:
        return _coverage(shorter, longer)
    return min(_coverage(wa, wb), _coverage(wb, wa))


def word_coverage(words: list[str], name: str, key: str | None = None) -> float:
    """How well every one of ``words`` (a skeleton's words, a search that found no name
    containing them) is found in ``name`` (0-1): "shmit" in "Anna Schmidt" 0.94.
    ``key``: the name's skeleton when the caller has it (a patient's ``name_key``)."""
    if not words:
        return 0.0
    return _coverage(words, (skeleton(name) if key is None else key).split())


def names_match(a: str, b: str, threshold: float = NAME_MATCH_THRESHOLD) -> bool:
    return name_similarity(a, b) >= threshold


# --- phone numbers ------------------------------------------------------------------

# ITU-T E.164 country calling codes of the clinic's countries (ITU-T E.164 Annex to
# ITU Operational Bulletin No. 1114, 2017) and whether a national number is dialled
# with a trunk prefix 0 that the international form drops.
DIALLING_CODES = {
    "DE": "49", "AT": "43", "CH": "41", "GB": "44", "IE": "353", "FR": "33", "IT": "39",
    "ES": "34", "PT": "351", "NL": "31", "BE": "32", "PL": "48", "CZ": "420", "TR": "90",
    "IL": "972", "AE": "971", "SA": "966", "QA": "974", "KW": "965", "UA": "380",
    "RU": "7", "KZ": "7", "BY": "375", "UZ": "998", "GE": "995", "AM": "374", "AZ": "994",
    "US": "1", "CA": "1", "CN": "86", "IN": "91", "SE": "46", "NO": "47", "DK": "45",
    "FI": "358", "GR": "30", "IS": "354",
}  # fmt: skip
# Russia and Kazakhstan dial "8" where others dial the trunk "0".
_TRUNK = {"RU": "8", "KZ": "8", "BY": "8"}


def e164(phone: str | None, country: str | None) -> str | None:
    """A phone number in E.164 form ("+49301234567"): a number given with "+" or the
    international prefix "00" keeps its country code; a national number ("030 1234567"
    in DE, "8 495 1234567" in RU) gets the country's calling code in place of its trunk
    prefix. None when there is no number, or a national number from a country whose
    code is not in ``DIALLING_CODES``."""
    if not phone:
        return None
    text = phone.strip()
    digits = re.sub(r"\D", "", text)
    if not digits:
        return None
    if text.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    code = DIALLING_CODES.get((country or "").upper())
    if code is None:
        return None
    trunk = _TRUNK.get((country or "").upper(), "0")
    if digits.startswith(trunk):
        return "+" + code + digits[len(trunk) :]
    if digits.startswith(code) and len(digits) > 10:  # written without the "+"
        return "+" + digits
    return "+" + code + digits


def stored_forms(full: str, country: str | None = None) -> set[str]:
    """Every way a number whose E.164 form is ``full`` may be stored (the registry keeps
    the digits typed, with "+" when it was typed): with "+" or the international prefix
    "00", with neither, and national, with or without its trunk prefix, for each country
    (or only ``country``) whose calling code it begins with; ``e164`` reads each back."""
    digits = full[1:]
    forms = {full, "00" + digits, digits}
    for land, code in DIALLING_CODES.items():
        if digits.startswith(code) and (country is None or land == country.upper()):
            national = digits[len(code) :]
            forms |= {national, _TRUNK.get(land, "0") + national}
    return forms


def phone_forms(phone: str | None, country: str | None) -> set[str]:
    """The ways the same number may be stored: the number as given (digits and an
    optional "+") and ``stored_forms`` of its E.164 form in the person's country."""
    if not phone:
        return set()
    text = phone.strip()
    raw = ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)
    forms = {raw}
    full = e164(phone, country)
    if full is not None:
        forms |= stored_forms(full, country)
    return {f for f in forms if len(f.lstrip("+")) >= 7}


def email_key(email: str | None) -> str | None:
    """An email address as duplicates compare it (case ignored, as SQL lower() does
    it: the index of the registry is on lower(email))."""
    return email.strip().lower() if email and email.strip() else None
