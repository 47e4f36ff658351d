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
    """Where a configuration or an error belongs: the output's asset or op; for an input, the asset or op
    that declares it (what the user edits), and the asset it reads."""
    name = safe(lambda: context.name) or "?"
    op = safe(lambda: context.op_def.name)
    if isinstance(context, dg.OutputContext):
        if context.has_asset_key:
            return f"output {name!r} of asset {context.asset_key.to_user_string()!r}"
        return f"output {name!r} of op {op!r}" if op else f"output {name!r}"
    declared = f"input {name!r} of {op!r}" if op else f"input {name!r}"
    return f"{declared} (reading asset {context.asset_key.to_user_string()!r})" if context.has_asset_key else declared


def str_version(version: ArtifactVersion) -> str:
    return f"{version.id}:{version.version_tag}"


def safe(getter: Any) -> Any:
    """A context attribute that test-built contexts may not have (they raise instead of returning None)."""
    try:
        return getter()
    except (dg.DagsterInvariantViolationError, AttributeError, KeyError):
        return None
