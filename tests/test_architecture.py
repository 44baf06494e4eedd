"""The package's shape: folders form a one-way ladder, no import cycles, and one registry of
layers (the contract)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ml5_dcgan_tools import contract

PACKAGE = Path(__file__).resolve().parents[1] / "ml5_dcgan_tools"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every ml5_dcgan_tools module ``path`` imports, at the top or inside a function."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c.startswith("ml5_dcgan_tools") and c != name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: {target for target in _imports(path) if target in modules}
            for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (a package importing its own submodules is not one), or None."""
    def depends(module: str, target: str) -> bool:
        return not target.startswith(module + ".")  # __init__ re-exporting its children

    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if not depends(module, target):
                continue
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


# Bottom to top: a module may import from its own rung and the rungs below it, never above.
# "root" is the package's top-level modules (errors, contract, manifest, safety, ...).
LADDER = ("root", "assets", "data", "model", "runtime", "validation", "generators", "evaluation",
          "training", "export", "web", "publish", "cli")
# The package's entry points sit above the ladder: the public API names and `python -m`.
ENTRY_POINTS = ("ml5_dcgan_tools", "ml5_dcgan_tools.__main__")


def rung(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LADDER) else "root"


def ladder_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that goes up the ladder, as 'module -> target'."""
    height = {name: i for i, name in enumerate(LADDER)}
    return sorted(f"{module} -> {target}" for module, targets in graph.items()
                  if module not in ENTRY_POINTS
                  for target in targets if height[rung(target)] > height[rung(module)])


def test_every_folder_is_on_the_ladder():
    folders = {path.name for path in PACKAGE.iterdir()
               if path.is_dir() and (path / "__init__.py").is_file()}
    assert folders == set(LADDER) - {"root"}


def test_folders_import_only_down_the_ladder():
    assert ladder_violations(import_graph()) == []


def test_no_two_folders_import_each_other():
    graph = import_graph()
    ties = {(rung(module), rung(target)) for module, targets in graph.items()
            if module not in ENTRY_POINTS for target in targets}
    two_way = sorted(f"{a} <-> {b}" for a, b in ties if a < b and (b, a) in ties)
    assert two_way == []


@pytest.mark.parametrize(("module", "target"), [
    ("ml5_dcgan_tools.generators.source", "ml5_dcgan_tools.training.trainer"),
    ("ml5_dcgan_tools.validation.file_scan", "ml5_dcgan_tools.web.sketch"),
    ("ml5_dcgan_tools.errors", "ml5_dcgan_tools.data"),
])
def test_the_ladder_check_finds_a_planted_upward_import(module, target):
    graph = import_graph()
    graph[module] = {*graph[module], target}
    assert f"{module} -> {target}" in ladder_violations(graph)


def test_the_package_has_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = import_graph()
    graph["ml5_dcgan_tools.contract"] = {"ml5_dcgan_tools.validation.targets"}
    assert find_cycle(graph) is not None


def test_the_contract_is_at_the_bottom():
    graph = import_graph()
    assert graph["ml5_dcgan_tools.contract"] == set()
    for module in ("ml5_dcgan_tools.tfjs_model", "ml5_dcgan_tools.safety",
                   "ml5_dcgan_tools.manifest"):
        assert not any(target.startswith(("ml5_dcgan_tools.export", "ml5_dcgan_tools.validation"))
                       for target in graph[module]), module


def test_validation_does_not_reach_into_export():
    graph = import_graph()
    for module, targets in graph.items():
        if module.startswith("ml5_dcgan_tools.validation"):
            assert not any(t.startswith("ml5_dcgan_tools.export") for t in targets), module


def test_every_registry_implements_exactly_the_contract_layer_set():
    from ml5_dcgan_tools import tfjs_model
    from ml5_dcgan_tools.export import layers_format
    from ml5_dcgan_tools.validation import keras_rebuild

    assert set(layers_format.TRANSLATORS) | {"InputLayer"} == contract.LAYER_CLASSES
    assert set(tfjs_model._RULES) == contract.LAYER_CLASSES
    assert set(keras_rebuild._BUILDERS) | {"InputLayer"} == contract.LAYER_CLASSES


@pytest.mark.parametrize("registry", [
    {*contract.LAYER_CLASSES, "GaussianNoise"},  # a layer added to one registry only
    contract.LAYER_CLASSES - {"Permute"},  # a layer dropped from one registry only
])
def test_a_registry_out_of_step_with_the_contract_fails_at_import(registry):
    with pytest.raises(RuntimeError, match=r"does not match contract\.LAYER_CLASSES"):
        contract.require_layer_set(registry, "a registry")
