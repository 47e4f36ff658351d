"""Markdown for asset metadata (previews, metric tables, a picture), without an extra dependency."""

import base64
from collections.abc import Mapping, Sequence
from typing import Any

# Dagster shows markdown metadata inline only when it is shorter than this; longer, behind a button.
INLINE_MARKDOWN_LIMIT = 1000
# Light to dark blues; counts on the two darkest shades are written in white, the rest in black.
_SHADES = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(map(cell, columns)) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def metrics_table(metrics: Mapping[str, float]) -> str:
    return markdown_table(["metric", "value"], sorted(metrics.items()))


def confusion_matrix_picture(matrix: Sequence[Sequence[int]]) -> str | None:
    """The matrix as a small SVG in markdown, so the asset page shows it inline, every count readable on
    its cell; ``None`` when it would be too long to show inline (many classes: use the table then)."""
    top = max(max(row) for row in matrix) or 1
    cells: dict[int, list[str]] = {}
    labels: dict[str, list[str]] = {"#fff": [], "#000": []}
    for r, row in enumerate(matrix):
        for c, count in enumerate(row):
            level = round((len(_SHADES) - 1) * count / top)
            cells.setdefault(level, []).append(f"M{c} {r}h1v1H{c}z")
            labels["#fff" if level >= 3 else "#000"].append(f"<text x='{c + 0.5}' y='{r + 0.65}'>{count}</text>")
    size = len(matrix)
    svg = (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {size} {size}' width='180' height='180' "
        "font-family='sans-serif' font-size='.35' text-anchor='middle'>"
        + "".join(f"<path fill='{_SHADES[level]}' d='{''.join(paths)}'/>" for level, paths in sorted(cells.items()))
        + "".join(f"<g fill='{color}'>{''.join(texts)}</g>" for color, texts in labels.items() if texts)
        + "</svg>"
    )
    markdown = f"![confusion matrix](data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()})"
    return markdown if len(markdown) < INLINE_MARKDOWN_LIMIT else None
