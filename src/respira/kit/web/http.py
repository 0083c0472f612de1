"""HTTP conventions every JSON route shares: versions as ETags, edits with If-Match.

An editable record answers its version as a strong ETag (``"3"``); an edit sends it back
in ``If-Match``. No If-Match answers 428 naming the resource to read first, a stale one
409 (in the service, which compares it under the row's lock).
"""

from __future__ import annotations

from respira.kit.errors import InvalidInput, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None, *, read_from: str) -> int:
    """The version in ``If-Match``. ``read_from`` names where the client gets it, e.g.
    ``"GET /api/v1/consultation-requests/{id}"``."""
    if value is None:
        raise PreconditionRequired(
            f"send If-Match with the version you read (the ETag of {read_from})"
        )
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput({"If-Match": 'must be the record\'s version, such as "3"'})
    return int(text)
