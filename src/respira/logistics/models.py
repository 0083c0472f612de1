"""Tables of the logistics step."""

from __future__ import annotations
