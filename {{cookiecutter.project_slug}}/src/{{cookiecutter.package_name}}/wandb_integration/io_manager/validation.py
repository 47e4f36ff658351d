"""Every ``wandb_artifact_configuration`` of a code location, checked when the code location loads.

``check_definitions(defs)`` parses the configuration of each asset output (``@asset``, ``AssetOut``), op
output (``Out``), ``AssetIn`` and ``In`` with the parser the IO manager uses at run time, so a misspelled
key or a wrong value fails ``dg check defs``, ``dagster definitions validate`` and ``dg dev`` at once,
naming the asset or op, the input or output, the key and the allowed keys, instead of surfacing when a run
reaches that input. Only definitions are read: nothing is imported (no wandb, no pandas) and nothing runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg

from ..artifact_configuration import (
    CONFIG_KEY,
    parse_read_config,
    parse_write_config,
    raw_configuration,
)
from ..errors import WandbConfigurationError
from .naming import artifact_name


def check_definitions(defs: dg.Definitions) -> dg.Definitions:
    """``defs`` unchanged, once every artifact configuration in it parses; else ``WandbConfigurationError``."""
    for where, metadata, role, asset_key in _configurations(defs):
        raw = raw_configuration(metadata, where)
        if role == "output":
            config = parse_write_config(raw, where)
            if asset_key is not None and config.name is not None and config.name != artifact_name(asset_key.path):
                raise WandbConfigurationError(
                    f"{where}: name {config.name!r} is set but the asset key names the artifact "
                    f"{artifact_name(asset_key.path)!r}; remove 'name' from {CONFIG_KEY}."
                )
        else:
            parse_read_config(raw, where)
    return defs


def _configurations(defs: dg.Definitions) -> Iterator[tuple[str, Mapping[str, Any], str, dg.AssetKey | None]]:
    """``(where, metadata, "output" | "input", asset key)`` of every output and input carrying a configuration."""
    for assets_def in defs.assets or ():
        if not isinstance(assets_def, dg.AssetsDefinition):
            continue  # an AssetSpec: made outside Dagster, never written by the IO manager
        node = assets_def.node_def
        for key, spec in assets_def.specs_by_key.items():
            if _configured(spec.metadata):
                yield f"output of asset {key.to_user_string()!r}", spec.metadata, "output", key
        if isinstance(node, dg.OpDefinition):
            owner = _owner(assets_def)
            for name, input_def in node.ins.items():
                if _configured(input_def.metadata):
                    upstream = assets_def.keys_by_input_name.get(name)
                    reading = f" (reading asset {upstream.to_user_string()!r})" if upstream is not None else ""
                    yield f"input {name!r} of {owner}{reading}", input_def.metadata, "input", None
    for job in defs.jobs or ():
        if not isinstance(job, dg.JobDefinition):
            continue  # an asset job: its assets are checked above
        for node in job.all_node_defs:
            if not isinstance(node, dg.OpDefinition):
                continue
            for output_def in node.output_defs:
                if _configured(output_def.metadata):
                    yield f"output {output_def.name!r} of op {node.name!r}", output_def.metadata, "output", None
            for input_def in node.input_defs:
                if _configured(input_def.metadata):
                    yield f"input {input_def.name!r} of op {node.name!r}", input_def.metadata, "input", None


def _configured(metadata: Mapping[str, Any] | None) -> bool:
    """Metadata with a configuration, or a key that may be a misspelled one (``raw_configuration`` tells)."""
    return bool(metadata) and any(isinstance(key, str) and key.strip().lower().startswith("wandb") for key in metadata)


def _owner(assets_def: dg.AssetsDefinition) -> str:
    keys = [key.to_user_string() for key in assets_def.keys]
    return (
        f"asset {keys[0]!r}" if len(keys) == 1 else f"multi-asset op {assets_def.node_def.name!r} ({', '.join(keys)})"
    )
