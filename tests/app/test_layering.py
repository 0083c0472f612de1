"""The house's arrows point down: science at the bottom imports nothing of ours, the kit
imports no step, a step uses another step only through its public face (``service``,
``schemas``, its manifest), and pages and API routes reach science and tables through
their step's service and schemas, never directly. The app at the top may import
anything. An AST walk over ``src/respira`` (imports inside functions count too)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from respira.app.steps import STEPS

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "respira"
STEP_NAMES = {name.rsplit(".", 1)[1] for name in STEPS}
# ``web``: the helpers a step's routes share with other steps' routes.
PUBLIC_FACE = {"service", "schemas", "web"}
ROUTE_MODULES = {"pages", "api", "routes", "page_router"}


def _is_route_module(leaf: str) -> bool:
    """pages.py, api.py, routes.py and a step's split page modules (``lot_pages.py``)."""
    return leaf in ROUTE_MODULES or leaf.endswith("_pages")


@dataclass(frozen=True)
class Module:
    name: str  # respira.diagnostics.pages
    path: Path
    source: str


def _modules() -> list[Module]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if "migrations" in parts:
            continue  # migrations import only SQLAlchemy and Alembic, by design
        out.append(Module(".".join(parts), path, path.read_text(encoding="utf-8")))
    return out


def _imports(module: Module) -> list[tuple[int, str]]:
    """Every ``respira`` module the source imports (``from respira.x import y`` counts as
    ``respira.x.y`` when ``y`` is a module, else ``respira.x``)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(module.source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("respira")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if not node.module.startswith("respira"):
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                as_path = SRC / Path(*candidate.split("."))
                is_module = as_path.with_suffix(".py").exists() or as_path.is_dir()
                found.append((node.lineno, candidate if is_module else node.module))
    return found


def _layer(name: str) -> tuple[str, str | None]:
    parts = name.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top == "science":
        return "science", None
    if top == "kit":
        return "kit", None
    if top == "app":
        return "app", None
    if top in STEP_NAMES:
        return "step", top
    return "root", None


def violations(modules: list[Module]) -> list[str]:
    problems = []
    for module in modules:
        layer, step = _layer(module.name)
        leaf = module.name.rsplit(".", 1)[-1]
        for line, target in _imports(module):
            t_layer, t_step = _layer(target)
            t_leaf = target.split(".")[2] if target.count(".") >= 2 else None
            where = f"{module.path.relative_to(SRC)}:{line} imports {target}"
            if layer == "science" and t_layer != "science":
                problems.append(f"{where}: science imports nothing else of ours")
            elif layer == "kit" and t_layer in ("step", "app"):
                problems.append(f"{where}: the kit imports no step and not the app")
            elif layer == "step" and t_layer == "app":
                problems.append(f"{where}: a step does not import the app")
            elif (
                layer == "step"
                and t_layer == "step"
                and t_step != step
                and t_leaf is not None
                and t_leaf not in PUBLIC_FACE
            ):
                problems.append(
                    f"{where}: another step is used through its service or schemas only"
                )
            if layer == "step" and _is_route_module(leaf):
                if t_layer == "science":
                    problems.append(f"{where}: pages and API ask their service, not science")
                elif target.endswith(".models"):
                    problems.append(f"{where}: pages and API ask their service, not tables")
    return problems


def test_the_arrows_of_the_house_point_down():
    found = violations(_modules())
    assert not found, "\n".join(found)


def test_every_module_of_the_package_belongs_to_a_layer():
    strays = [m.name for m in _modules() if _layer(m.name)[0] == "root" and m.name != "respira"]
    assert not strays, f"modules outside science, kit, app and the steps: {strays}"


def _fake(name: str, source: str) -> Module:
    return Module(name, PACKAGE / Path(*name.split(".")[1:]).with_suffix(".py"), source)


def test_the_layering_check_catches_each_kind_of_wrong_arrow():
    cases = {
        "kit imports a step": _fake("respira.kit.fake", "from respira.patients import service"),
        "science imports the kit": _fake("respira.science.fake", "import respira.kit.db"),
        "a step imports another's tables": _fake(
            "respira.screening.fake", "from respira.patients.models import Patient"
        ),
        "a page imports science": _fake(
            "respira.diagnostics.pages", "from respira.science import control"
        ),
        "an API imports its own tables": _fake(
            "respira.intake.api", "from respira.intake import models"
        ),
        "a split page module imports tables": _fake(
            "respira.products.lot_pages", "from respira.products.models import Lot"
        ),
        "a step imports the app": _fake("respira.intake.fake", "from respira.app import steps"),
    }
    for what, module in cases.items():
        assert violations([module]), what
    fine = _fake("respira.screening.fake", "from respira.patients import service, schemas")
    assert violations([fine]) == []
