"""Small readers of Dagster's input and output contexts, tolerant of test-built contexts."""

from typing import Any

import dagster as dg

from ..artifact_configuration import raw_configuration
from ..stores.base import ArtifactVersion


def upstream_name(context: dg.InputContext) -> str | None:
    upstream = safe(lambda: context.upstream_output)
    if upstream is None or upstream.has_asset_key:
        return None
    raw = raw_configuration(upstream.definition_metadata, "upstream output")
    name = raw.get("name")
    return name if isinstance(name, str) else None


def describe(context: dg.OutputContext | dg.InputContext) -> str:
    kind = "output" if isinstance(context, dg.OutputContext) else "input"
    name = safe(lambda: context.name) or "?"
    if context.has_asset_key:
        return f"{kind} {name!r} of asset {context.asset_key.to_user_string()!r}"
    op = safe(lambda: context.op_def.name)
    return f"{kind} {name!r} of op {op!r}" if op else f"{kind} {name!r}"


def str_version(version: ArtifactVersion) -> str:
    return f"{version.id}:{version.version_tag}"


def safe(getter: Any) -> Any:
    """A context attribute that test-built contexts may not have (they raise instead of returning None)."""
    try:
        return getter()
    except (dg.DagsterInvariantViolationError, AttributeError, KeyError):
        return None
