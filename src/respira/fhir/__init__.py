"""FHIR R4: the patient's record as FHIR resources ($everything, reads, metadata), bulk
export as NDJSON and the import of spirometry observations."""

from respira.kit.step import Step

STEP = Step(
    name="fhir",
    package=__name__,
    models=(),
    demo=None,
    routers=("api:router",),
    cli={"fhir": "cli:app"},
    has_templates=False,
)
