"""The asset graphs the benchmark materializes: a chain of small assets and DataFrames of several shapes.

Every value is built inside its asset, so both IO managers pay the same construction cost, and a
downstream asset reads each output back. ``salt`` changes the stored values between repetitions of the
small chain (new versions each time instead of deduplicated ones).
"""

from collections.abc import Callable
from typing import Any


def small_chain(count: int, salt: int | None = None) -> list:
    """``count`` assets holding small dicts and lists, each reading the one before."""
    import dagster as dg

    def make(index: int):
        ins = {"previous": dg.AssetIn(f"small_{index - 1}")} if index else {}

        @dg.asset(name=f"small_{index}", ins=ins)
        def _asset(**previous) -> dict:
            base = previous.get("previous", {"values": []})
            value = {"index": index, "values": [*base["values"][-50:], index], "tags": ["a", "b"]}
            if salt is not None:
                value["salt"] = salt
            return value

        return _asset

    return [make(i) for i in range(count)]


def floats(rows: int, seed: int) -> Any:
    """Incompressible: 10 uniform random float64 columns (pickle's best case: a memory copy)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame({f"f{i}": rng.random(rows) for i in range(10)})


def strings(rows: int, seed: int) -> Any:
    """Compressible: 6 low-cardinality string columns (3 to 50 values) and 2 small-range int columns."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    data = {}
    for i, cardinality in enumerate((3, 5, 10, 20, 30, 50)):
        values = np.array([f"category_{i}_{v:03d}" for v in range(cardinality)])
        data[f"s{i}"] = values[rng.integers(0, cardinality, size=rows)]
    frame = pd.DataFrame(data)
    frame["year"] = rng.integers(2000, 2026, size=rows)
    frame["flag"] = rng.integers(0, 4, size=rows)
    return frame


def nulls_and_datetimes(rows: int, seed: int) -> Any:
    """Floats with NaN, nullable Int64 with NA, strings with None, naive and UTC timestamps, a bool, a
    category and a plain float."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    values = rng.normal(size=rows)
    values[rng.random(rows) < 0.1] = np.nan
    counts = pd.array(rng.integers(0, 10_000, size=rows), dtype="Int64")
    counts[rng.random(rows) < 0.1] = pd.NA
    names = np.array([f"user_{v}" for v in range(1000)], dtype=object)[rng.integers(0, 1000, size=rows)]
    names[rng.random(rows) < 0.1] = None
    stamps = np.datetime64("2024-01-01T00:00:00", "ns") + rng.integers(0, 365 * 86400, size=rows).astype(
        "timedelta64[s]"
    )
    return pd.DataFrame(
        {
            "value": values,
            "count": counts,
            "name": pd.Series(names),
            "at": pd.Series(stamps),
            "at_utc": pd.Series(stamps).dt.tz_localize("UTC"),
            "ok": rng.random(rows) < 0.5,
            "kind": pd.Categorical(rng.choice(["a", "b", "c", "d"], size=rows)),
            "score": rng.random(rows),
        }
    )


def numbers_and_labels(rows: int, seed: int) -> Any:
    """A typical feature table: 8 normal float columns, an int column and a 10-class label."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"f{i}": rng.normal(size=rows) for i in range(8)})
    frame["count"] = rng.integers(0, 1000, size=rows)
    frame["label"] = pd.Series(rng.choice([f"class_{i}" for i in range(10)], size=rows))
    return frame


SHAPES: dict[str, Callable[[int, int], Any]] = {
    "floats": floats,
    "strings": strings,
    "nulls_and_datetimes": nulls_and_datetimes,
    "numbers_and_labels": numbers_and_labels,
}


def frame_pair(shape: str, rows: int, seed: int = 0) -> list:
    """One asset building a frame of ``shape`` and one reading it back."""
    import dagster as dg
    import pandas as pd

    build = SHAPES[shape]

    @dg.asset
    def table() -> pd.DataFrame:
        return build(rows, seed)

    @dg.asset
    def reader(table: pd.DataFrame) -> None:
        assert len(table) == rows

    return [table, reader]
