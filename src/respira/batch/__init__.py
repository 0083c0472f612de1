"""Batch spirometry: ``respira spirometry interpret`` reads a spirometer export or a
research file (CSV), interprets every row with the science core and writes the results
(CSV). No tables, no pages: a command-line step."""

from respira.kit.step import Step

STEP = Step(
    name="batch",
    package=__name__,
    models=(),
    routers=(),
    demo=None,
    cli={"spirometry": "cli:app"},
    has_templates=False,
)
