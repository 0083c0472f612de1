"""Tables of the quotes step."""

from __future__ import annotations
