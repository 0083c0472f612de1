"""HTML pages of the cell laboratory: the router of every page of the step
(``respira.products.page_router``), on which ``respira.products.lab_pages`` (the lab
home, donors, harvests, the release specifications), ``respira.products.lot_pages`` (new
lots, the lot page with its forms) and ``respira.products.unit_pages`` (a unit's chain
of identity, label and hand-overs; the dose preparation) declare their routes."""

from __future__ import annotations

from respira.products import lab_pages, lot_pages, unit_pages
from respira.products.page_router import router

__all__ = ["PAGE_MODULES", "router"]

# The modules that declare their routes on ``router``: imported here, so that the router
# the app takes from this module has them all.
PAGE_MODULES = (lab_pages, lot_pages, unit_pages)
