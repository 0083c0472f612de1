"""International patient coordination: each stay's checklist (visa letter, flights,
airport pickup, accommodation, interpreter, meals), the coordinator board and the
patient's travel plan."""

from respira.kit.step import Step

STEP = Step(name="logistics", package=__name__, routers=(), demo=None)
