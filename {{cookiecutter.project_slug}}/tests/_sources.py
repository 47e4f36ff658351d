"""The integration's source files and their syntax trees, for the tests that read the code itself.

Parsed once, when the test modules are collected and before any test starts threads: on CPython 3.11
before 3.11.8, ``ast.parse`` can fail with a spurious "AST constructor recursion depth mismatch" while
another thread builds syntax trees too (python/cpython#106905), as pydantic does in wandb's threads.
"""

import ast
from pathlib import Path

from tests._package import PACKAGE_NAME, integration

PACKAGE_DIR = Path(integration.__file__).parent
ROOT = f"{PACKAGE_NAME}.wandb_integration"


def _module_files() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((ROOT, *parts))] = path
    return found


# Dotted module name -> file, for every module of the integration (``__main__`` included).
MODULES = _module_files()
TREES = {module: ast.parse(path.read_text(), filename=str(path)) for module, path in MODULES.items()}
