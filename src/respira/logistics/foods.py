"""Which allergens of a diagnostic allergy panel are foods the kitchen must keep off a
patient's plate.

A panel names its allergens in free text, in the language of the physician who recorded
it ("peanut", "Erdnuss", "арахис", "cow's milk (sIgE)"). An allergen counts as a food
when a word of it begins with the stem of a food of the list: the fourteen allergens
that must be declared on food in the European Union (Regulation (EU) No 1169/2011,
Annex II: cereals containing gluten, crustaceans, eggs, fish, peanuts, soybeans, milk,
tree nuts, celery, mustard, sesame, sulphites, lupin, molluscs), with the nuts and
cereals the Annex names, in English, German and Russian. Aeroallergens (mites, pollen,
animal dander, moulds) are not foods and are left to the physicians.
"""

from __future__ import annotations

import re

from respira.kit.validation import fold

# Annex II group → word stems (folded: lower case, accents removed) in en, de, ru.
FOOD_STEMS: dict[str, tuple[str, ...]] = {
    "gluten": (
        "gluten", "wheat", "rye", "barley", "oat", "spelt", "kamut",
        "weizen", "roggen", "gerste", "hafer", "dinkel",
        "глютен", "пшениц", "рож", "ячмен", "овес", "овс", "полб",
    ),
    "crustaceans": (
        "crustacean", "shrimp", "prawn", "crab", "lobster", "crayfish",
        "krebstier", "garnele", "krabbe", "hummer", "languste",
        "ракообраз", "кревет", "краб", "омар", "лобстер",
    ),
    "eggs": ("egg", "hen's egg", "eier", "huhnerei", "eiweiss", "eigelb", "яйц", "яич"),
    "fish": (
        "fish", "cod", "salmon", "tuna", "fisch", "kabeljau", "lachs", "рыб", "треск", "лосос",
    ),
    "peanuts": ("peanut", "groundnut", "erdnuss", "арахис"),
    "soybeans": ("soy", "soja", "соя", "сои", "соев"),
    "milk": (
        "milk", "lactose", "casein", "whey", "milch", "laktose", "kasein",
        "молок", "молоч", "лактоз", "казеин",
    ),
    "nuts": (
        "almond", "hazelnut", "walnut", "cashew", "pecan", "brazil nut", "pistachio",
        "macadamia", "tree nut", "mandel", "haselnuss", "walnuss", "pistazie",
        "орех", "миндал", "фундук", "кешью", "фисташ", "пекан",
    ),
    "celery": ("celery", "celeriac", "sellerie", "сельдере"),
    "mustard": ("mustard", "senf", "горчиц"),
    "sesame": ("sesame", "sesam", "кунжут"),
    "sulphites": ("sulphite", "sulfite", "sulphur dioxide", "sulfit", "сульфит"),
    "lupin": ("lupin", "lupine", "люпин"),
    "molluscs": (
        "mollusc", "mussel", "oyster", "squid", "octopus", "clam", "scallop", "snail",
        "muschel", "auster", "tintenfisch", "schnecke",
        "моллюск", "миди", "устриц", "кальмар", "осьминог", "гребешк", "улитк",
    ),
}  # fmt: skip

_WORD = re.compile(r"[\w']+")


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def food_group(allergen: str) -> str | None:
    """The Annex II group an allergen belongs to ("peanuts"), or None when it is not a
    food. A stem of several words ("brazil nut") must match words in a row."""
    words = _words(allergen)
    for group, stems in FOOD_STEMS.items():
        for stem in stems:
            parts = _words(stem)
            for i in range(len(words) - len(parts) + 1):
                window = words[i : i + len(parts)]
                if window[:-1] == parts[:-1] and window[-1].startswith(parts[-1]):
                    return group
    return None
