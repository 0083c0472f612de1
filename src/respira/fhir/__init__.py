"""FHIR R4: the patient's record as FHIR resources ($everything, reads, metadata), bulk
export as NDJSON and the import of spirometry observations."""

from respira.kit.step import Step

STEP = Step(
    name="fhir",
    package=__name__,
    models=(),
    routers=(),
    demo=None,
    has_templates=False,
)
