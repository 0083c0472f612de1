"""Cell product: donors and harvests, lots with passages, quality control against
versioned release specifications, the e-signed release (and recall), units with their
ISBT 128 DIN and printable label, and the chain of custody of every unit."""

from respira.kit.actors import Role
from respira.kit.marks import N_
from respira.kit.step import Nav, Step

STEP = Step(
    name="products",
    package=__name__,
    nav=(Nav(N_("Laboratory"), "/lab", frozenset({Role.LAB, Role.ADMIN, Role.PHYSICIAN}), 70),),
    worklists=("worklist:items",),
)
