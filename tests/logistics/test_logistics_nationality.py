"""The travel documents' nationality is chosen from the countries named in the reader's
language and sorted by those names (issue 14); the stored value stays the ISO 3166-1
code, which the API answers."""

from __future__ import annotations

import re

from respira.kit import i18n
from tests.translated import page_in

OPTION = re.compile(r'<option value="([A-Z]{2})"( selected)?>([^<]+)</option>')


def _nationality_options(html: str) -> list[tuple[str, bool, str]]:
    select = html[html.index('id="f-nationality"') :]
    select = select[: select.index("</select>")]
    return [(code, bool(sel), name) for code, sel, name in OPTION.findall(select)]


def test_the_nationality_is_a_country_named_and_sorted_in_german_stored_as_its_code(
    page_as, api_as, desk
):
    coordinator = page_as("coordinator")
    stay = desk.book(desk.patient())
    item = desk.items(stay.id)["travel_documents"]
    path = f"/logistics/stays/{stay.id}/items/{item.id}"
    r = coordinator.post_form(
        path,
        {"version": str(item.version), "state": item.state, "owner_id": str(item.owner_id),
         "passport_number": "N1234567", "nationality": "KZ"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    assert desk.items(stay.id)["travel_documents"].details["nationality"] == "KZ"
    page = page_in(coordinator, path, "de", ["Staatsangehörigkeit"])
    options = _nationality_options(page.text)
    names = [name for _code, _sel, name in options]
    assert names == sorted(names, key=lambda n: (i18n.sort_key(n), n)) and len(names) > 200
    assert ("KZ", True, "Kasachstan") in options and ("DE", False, "Deutschland") in options
    # "Österreich" is read among the O's in German, not after "Z".
    assert names.index("Oman") < names.index("Österreich") < names.index("Pakistan")
