"""The integration's commands: ``python -m <package>.wandb_integration <command> [options]``.

``publish``: push what was materialized offline to W&B (``publishing/publish.py``); ``repair``: check
the local store and rebuild lost or stale indexes, deleting nothing (``stores/repair.py``). ``--help`` after
a command lists its options.
"""

import argparse
import os
import sys
from pathlib import Path

from .errors import WandbArtifactsIOManagerError
from .publishing.publish import main as publish
from .settings import store_dir_of
from .stores.files import storage_errors
from .stores.local import LocalArtifactStore


def repair(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="repair", description="Check the local artifact store and rebuild lost or stale indexes; deletes nothing."
    )
    home = os.environ.get("DAGSTER_HOME")
    parser.add_argument(
        "--base-dir",
        default=str(Path(home) / "storage") if home else None,
        help="The IO manager's base_dir (default: $DAGSTER_HOME/storage).",
    )
    parser.add_argument("--entity", help="Only this entity's artifacts.")
    parser.add_argument("--project", help="Only this project's artifacts.")
    parser.add_argument("--artifact", help="Only artifacts with this name.")
    parser.add_argument("--quick", action="store_true", help="Do not hash the stored files.")
    parser.add_argument("--dry-run", action="store_true", help="Report only; rewrite no index.")
    args = parser.parse_args(argv)
    if args.base_dir is None:
        parser.error("--base-dir is required when DAGSTER_HOME is not set")
    root = store_dir_of(Path(args.base_dir))
    try:
        with storage_errors("the local store", root, action="read"):  # a store of another user: not even stat()
            found = root.is_dir()
        if not found:
            print(
                f"error: there is no local artifact store under --base-dir {args.base_dir} (no {root}).",
                file=sys.stderr,
            )
            return 2
        report = LocalArtifactStore(root).repair(
            entity=args.entity,
            project=args.project,
            name=args.artifact,
            verify_files=not args.quick,
            dry_run=args.dry_run,
        )
    except WandbArtifactsIOManagerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    print(report.summary())
    return 0 if report.clean else 1


COMMANDS = {"publish": publish, "repair": repair}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m {__package__} ({' | '.join(COMMANDS)}) [options]  (--help after a command)")
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
