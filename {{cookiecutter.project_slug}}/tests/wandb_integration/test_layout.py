"""The integration's layout: every module imports on its own, and neither its modules nor its layers (the
top-level modules and folders: stores, serialization, io_manager, ...) import each other in a cycle."""

import ast
import subprocess
import sys

import pytest

from tests import _sources
from tests._package import PACKAGE_NAME, integration

pytestmark = pytest.mark.slow  # starts processes of its own

# ``__main__`` runs the command line when imported, so it is not one of the modules imported alone.
MODULES = {module: path for module, path in _sources.MODULES.items() if path.name != "__main__.py"}


def imports_of(module: str) -> set[str]:
    """The package's modules that ``module`` imports anywhere (function-level imports included)."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    targets: set[str] = set()
    tree = _sources.TREES[module]
    type_only = {  # `if TYPE_CHECKING:` imports exist for annotations only and never run
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        for child in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else []
            source = ".".join([*anchor, *(node.module.split(".") if node.module else [])])
            for alias in node.names:
                # `from . import runs` imports a module; `from .errors import X` imports from one.
                targets.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in MODULES else source)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
    return {target for target in targets if target in MODULES and target != module}


def layer_of(module: str) -> str:
    """``stores`` for ``<root>.stores.local``, ``settings`` for ``<root>.settings``."""
    return module.removeprefix(_sources.ROOT + ".").split(".")[0]


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` as a list of nodes (first repeated at the end), or ``[]``."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_layers_are_the_documented_folders():
    layers = {layer_of(module) for module in MODULES if module != _sources.ROOT}
    assert {"stores", "serialization", "io_manager", "publishing", "launch", "testing", "resource"} <= layers
    for layer in layers:
        assert f"    {layer}" in integration.__doc__, f"{layer} is missing from the package docstring's module map"


def test_modules_import_each_other_without_cycles():
    # The root __init__ re-exports the public names; everything else must form a DAG.
    graph = {module: imports_of(module) - {_sources.ROOT} for module in MODULES if module != _sources.ROOT}
    assert find_cycle(graph) == []


def test_layers_import_each_other_without_cycles():
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        if module != _sources.ROOT:
            targets = {layer_of(target) for target in imports_of(module) if target != _sources.ROOT}
            graph.setdefault(layer_of(module), set()).update(targets - {layer_of(module)})
    assert find_cycle(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_every_module_imports_on_its_own():
    """In a fresh interpreter, each module is imported with none of the package loaded before it."""
    prefix = PACKAGE_NAME + "."
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        f"for name in {sorted(MODULES)!r}:\n"
        f"    for loaded in [m for m in sys.modules if m == {PACKAGE_NAME!r} or m.startswith({prefix!r})]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr[-3000:]
