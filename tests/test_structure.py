"""The layers of the code, checked: every import (at the top of a module or inside a function) points down.

Each package is a stack of layers, bottom first. A module may import
modules of its own layer or of a layer below, never above, and the imports
within a layer form no cycle. A new module must be placed in a layer here:
the table is the picture of the architecture that the README's architecture
section draws, and this test keeps the two true.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

STACKS = {
    "minidl": [
        ("foundations", ["minidl.version", "minidl.config", "minidl.cores", "minidl.memory", "minidl.random", "minidl.registry",
                         "minidl.file_limits"]),
        ("backend", ["minidl.backend"]),
        ("kernels", ["minidl.kernels", "minidl.kernels.cpu", "minidl.kernels.gpu"]),
        ("autodiff", ["minidl.tensor", "minidl.function"]),
        ("functions", ["minidl.functional", "minidl.functional.*"]),
        ("layers", ["minidl.activations", "minidl.initializers", "minidl.regularizers", "minidl.constraints",
                    "minidl.layers",
                    "minidl.layers.*"]),
        ("training pieces", ["minidl.data", "minidl.ops", "minidl.ops.*", "minidl.losses", "minidl.metric_variable", "minidl.streaming", "minidl.metrics", "minidl.schedules", "minidl.optimizers",
                             "minidl.callbacks", "minidl.progbar"]),
        ("training", ["minidl.training.standardize", "minidl.training.data_adapters", "minidl.training.epoch_iterator",
                      "minidl.training.compile_utils", "minidl.training.callback_list", "minidl.training.finite_weights",
                      "minidl.training.trainer",
                      "minidl.training"]),
        ("models", ["minidl.serialization", "minidl.saving", "minidl.models.fusion", "minidl.models.graph", "minidl.models.subclassed",
                    "minidl.models.summary", "minidl.models.functional",
                    "minidl.models.sequential", "minidl.models.safe_hdf5", "minidl.models.keras_training", "minidl.models.keras_files", "minidl.models.loading", "minidl.models.cloning",
                    "minidl.models"]),
        ("tools", ["minidl.gradcheck", "minidl.datasets", "minidl.model_plot", "minidl.utils", "minidl.exercises", "minidl.exercises.*", "minidl.figures", "minidl.computation_graph",
                   "minidl.plot", "minidl.demo", "minidl.__main__",
                   "minidl"]),
    ],
    "genomics": [
        ("processes", ["genomics.interrupts"]),
        ("values", ["genomics.expressions", "genomics.priors"]),
        ("data", ["genomics.design", "genomics.genotypes", "genomics.alignments", "genomics.sfs", "genomics.encode", "genomics.sumstats", "genomics.vcf", "genomics.vcf_loci", "genomics.readers", "genomics.observed",
                  "genomics.ms", "genomics.textfile"]),
        ("scenarios", ["genomics.scenarios"]),
        ("simulation", ["genomics.resources", "genomics.loci", "genomics.simulate", "genomics.shards", "genomics.catalogue",
                        "genomics.cluster"]),
        ("inference", ["genomics.calibration", "genomics.evaluation", "genomics.regression", "genomics.abc_choice",
                       "genomics.abc", "genomics.abc_parameters",
                       "genomics.ensemble", "genomics.models", "genomics.augmentation", "genomics.streaming",
                       "genomics.heldout", "genomics.onthefly", "genomics.checkpoint"]),
        ("workflow", ["genomics.workflow"]),
        ("comparison", ["genomics.comparison", "genomics.adequacy"]),
        ("command line", ["genomics.cli", "genomics.__main__", "genomics"]),
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
    """The test above can fail: a backend module that imports a layer is reported."""
    package = tmp_path / "minidl"
    (package / "layers").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "layers" / "__init__.py").write_text("")
    (package / "backend.py").write_text("def f():\n    from minidl.layers import Dense\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    with pytest.raises(AssertionError, match=r"minidl.backend \(backend\) imports minidl.layers \(layers\)"):
        test_imports_point_down_the_layers("minidl")
