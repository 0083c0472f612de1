"""Cost quotes: versioned price lists, quotes by procedure, severity and stay, their
acceptance, invoices with payments and credit notes."""

from respira.kit.step import Step

STEP = Step(name="quotes", package=__name__, routers=(), demo=None)
