"""Trim the baked project to the chosen options and record the answers for replay.

Optional parts are removed by subtraction: one small function per option, called from a linear ``main``.
No network access happens here; installing is the user's ``make install``.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

# Keys that describe the machine the template was baked on, not the user's choices.
MACHINE_KEYS = frozenset({"_output_dir", "_repo_dir", "_checkout"})


def remove(root: Path, *relative_paths: str) -> None:
    for relative in relative_paths:
        path = root / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            raise FileNotFoundError(f"post-gen hook: expected {relative} in the baked project; the template changed?")


def remove_launch_examples(root: Path, package: str) -> None:
    remove(root, f"src/{package}/defs/launch_jobs.py", "launch", "tests/defs/test_launch_jobs.py")


def remove_partition_examples(root: Path, package: str) -> None:
    remove(root, f"src/{package}/defs/assets/partitioned.py", "tests/defs/assets/test_partitioned.py")


def remove_ci(root: Path) -> None:
    remove(root, ".github")


def write_replay_file(root: Path, answers: dict) -> None:
    kept = {key: value for key, value in answers.items() if key not in MACHINE_KEYS}
    (root / ".cookiecutter.json").write_text(json.dumps({"cookiecutter": kept}, indent=2) + "\n")


def print_next_steps(root: Path) -> None:
    print(
        f"\nBaked {root.name}. Next:\n"
        f"  cd {root.name}\n"
        "  make install       # uv sync: the project, Dagster, wandb and the dev tools\n"
        "  make dev           # the Dagster UI on http://127.0.0.1:3000 (make materialize runs everything once)\n"
    )


def main() -> int:
    root = Path.cwd()
    package = ANSWERS["package_name"]
    if not ANSWERS["include_launch"]:
        remove_launch_examples(root, package)
    if not ANSWERS["include_partitions"]:
        remove_partition_examples(root, package)
    if ANSWERS["ci"] == "none":
        remove_ci(root)
    write_replay_file(root, ANSWERS)
    print_next_steps(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
