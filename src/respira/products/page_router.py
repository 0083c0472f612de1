"""What the laboratory's page modules share: the router every one of them declares its
routes on (``respira.products.pages`` hands it to the app), who may open them, and a
posted form read into the fields of a schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from respira.kit.marks import N_
from respira.kit.web.deps import PageAccess
from respira.kit.web.routes import posts, uses
from respira.products import service
from respira.products.schemas import CHAIN_EVENT_TEXT

router = APIRouter(include_in_schema=False)

# Who may open the laboratory's pages (``Call``) and post its forms (``Post``).
LAB = uses(PageAccess(*service.LAB_ROLES))
LAB_POST = posts(PageAccess(*service.LAB_ROLES))
# A form signed with the password (release, recall): checked before the transaction.
LAB_SIGN_POST = posts(PageAccess(*service.LAB_ROLES), signature="password")
READ = uses(PageAccess(*service.READ_ROLES))

# The words the laboratory's pages show for stored codes, marked for translation: the
# templates show them with ``_()`` in the reader's language (``words`` in their context).
WORDS: dict[str, dict[str, str]] = {
    "lot_status": {
        "quarantine": N_("quarantine"),
        "released": N_("released"),
        "recalled": N_("recalled"),
        "discarded": N_("discarded"),
    },
    "unit_status": {
        "available": N_("available"),
        "allocated": N_("allocated"),
        "thawed": N_("thawed"),
        "administered": N_("administered"),
        "discarded": N_("discarded"),
    },
    "course_status": {
        "draft": N_("draft"),
        "approved": N_("approved"),
        "superseded": N_("superseded"),
    },
    "tissue": {"bone_marrow": N_("bone marrow"), "adipose": N_("adipose")},
    "source": {
        "allogeneic_cord": N_("allogeneic cord"),
        "autologous_bone_marrow": N_("autologous bone marrow"),
        "autologous_adipose": N_("autologous adipose"),
    },
    "event": CHAIN_EVENT_TEXT,
}


def blank(data: dict[str, str]) -> dict[str, Any]:
    """Form values with empty strings as None, so optional fields stay optional."""
    return {k: (v.strip() or None) for k, v in data.items()}


def form_fields(data: dict[str, str], schema: type[BaseModel]) -> dict[str, Any]:
    """The posted values the schema has a field for, leaving out the empty ones."""
    return {k: v for k, v in blank(data).items() if k in schema.model_fields and v is not None}
