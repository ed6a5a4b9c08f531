"""The layers of the code, checked: every import (at the top of a module or inside a function) points down.

Each package is a stack of layers, bottom first; a layer is a few folders (``"minidl.core"`` with
``"minidl.core.*"``: the folder and everything in it) and top-level modules. A module may import modules of its
own layer or of a layer below, never above, and the imports within a layer form no cycle. A new module inside a
folder is placed by its folder; a new top-level module must be placed in a layer here. The table is the picture
of the architecture that docs/architecture.md draws, and this test keeps the two true.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

STACKS = {
    "minidl": [
        ("core", ["minidl.core", "minidl.core.*"]),
        ("kernels", ["minidl.kernels", "minidl.kernels.*"]),
        ("autodiff", ["minidl.autodiff", "minidl.autodiff.*"]),
        ("functions", ["minidl.functional", "minidl.functional.*"]),
        ("layers", ["minidl.layers", "minidl.layers.*", "minidl.activations", "minidl.initializers",
                   "minidl.regularizers", "minidl.constraints"]),
        ("training", ["minidl.training", "minidl.training.*", "minidl.ops", "minidl.ops.*", "minidl.losses",
                     "minidl.metrics", "minidl.schedules", "minidl.optimizers", "minidl.callbacks", "minidl.datasets",
                     "minidl.datasets.*"]),
        ("models and saving", ["minidl.models", "minidl.models.*", "minidl.saving", "minidl.saving.*"]),
        ("teaching", ["minidl.teaching", "minidl.teaching.*"]),
        ("public api", ["minidl", "minidl.utils", "minidl.backend", "minidl.config", "minidl.random", "minidl.gradcheck",
                       "minidl.plot"]),
        ("programs", ["minidl.__main__", "minidl.demo", "minidl.exercises", "minidl.exercises.*"]),
    ],
    "genomics": [
        ("files and processes", ["genomics.textfile", "genomics.interrupts", "genomics.errors", "genomics.progress"]),
        ("scenario", ["genomics.scenario", "genomics.scenario.*"]),
        ("genotypes", ["genomics.genotypes"]),
        ("observed", ["genomics.observed", "genomics.observed.*"]),
        ("encoding", ["genomics.encoding", "genomics.encoding.*"]),
        ("simulation", ["genomics.simulation", "genomics.simulation.*"]),
        ("learning", ["genomics.learning", "genomics.learning.*"]),
        ("bundle", ["genomics.bundle"]),
        ("pipeline", ["genomics.pipeline", "genomics.pipeline.*"]),
        ("baselines", ["genomics.baselines", "genomics.baselines.*"]),
        ("report", ["genomics.report", "genomics.report.*"]),
        ("whole runs", ["genomics.demo"]),
        ("command line", ["genomics.cli", "genomics.cli.*", "genomics.__main__", "genomics"]),
    ],
}


def modules_of(package: str) -> dict:
    """Dotted module name -> file, for every .py file of ``package``."""
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported_modules(name: str, path: pathlib.Path, known: dict) -> set:
    """The modules of ``known`` that ``name`` imports anywhere in its file (``from pkg import mod`` is ``pkg.mod``)."""
    is_package = path.name == "__init__.py"
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def layer_of(module: str, stack: list) -> int | None:
    for rank, (_, members) in enumerate(stack):
        for member in members:
            if module == member or (member.endswith(".*") and module.startswith(member[:-1])):
                return rank
    return None


@pytest.mark.parametrize("package", sorted(STACKS))
def test_every_module_has_a_place_in_the_layers(package):
    unplaced = [module for module in modules_of(package) if layer_of(module, STACKS[package]) is None]
    assert not unplaced, f"place these modules in a layer of STACKS[{package!r}]: {unplaced}"


@pytest.mark.parametrize("package", sorted(STACKS))
def test_imports_point_down_the_layers(package):
    stack, known = STACKS[package], modules_of(package)
    upward = []
    for module, path in known.items():
        rank = layer_of(module, stack)
        for target in imported_modules(module, path, known):
            target_rank = layer_of(target, stack)
            if rank is not None and target_rank is not None and target_rank > rank:
                upward.append(f"{module} ({stack[rank][0]}) imports {target} ({stack[target_rank][0]})")
    assert not upward, "imports that point up the stack:\n" + "\n".join(upward)


@pytest.mark.parametrize("package", sorted(STACKS))
def test_no_import_cycles(package):
    known = modules_of(package)
    graph = {module: imported_modules(module, path, known) for module, path in known.items()}
    # A package's __init__ re-exporting its children is not a cycle: drop child -> parent-package edges.
    graph = {m: {t for t in targets if not m.startswith(t + ".")} for m, targets in graph.items()}
    state, cycles = {}, []

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The test above can fail: a module of core/ that imports a layer is reported (and placed by its folder)."""
    package = tmp_path / "minidl"
    for folder in ("core", "layers"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "core" / "backend.py").write_text("def f():\n    from minidl.layers import Dense\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    with pytest.raises(AssertionError, match=r"minidl.core.backend \(core\) imports minidl.layers \(layers\)"):
        test_imports_point_down_the_layers("minidl")


LINE_LIMITS = {"minidl": 500, "genomics": 400}  # one job per module; minidl's graded exercises are left out


@pytest.mark.parametrize("package", sorted(LINE_LIMITS))
def test_no_module_grows_past_its_packages_line_limit(package):
    paths = [path for path in (ROOT / package).rglob("*.py") if "exercises" not in path.relative_to(ROOT).parts]
    too_long = {str(path.relative_to(ROOT)): count for path in paths
                if (count := len(path.read_text(encoding="utf-8").splitlines())) > LINE_LIMITS[package]}
    assert paths and not too_long, f"split these modules (limit {LINE_LIMITS[package]} lines): {too_long}"
