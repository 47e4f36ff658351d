"""Markdown for asset metadata (previews and metric tables), without an extra dependency."""

from collections.abc import Mapping, Sequence
from typing import Any


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, columns)) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def metrics_table(metrics: Mapping[str, float]) -> str:
    return markdown_table(["metric", "value"], sorted(metrics.items()))
