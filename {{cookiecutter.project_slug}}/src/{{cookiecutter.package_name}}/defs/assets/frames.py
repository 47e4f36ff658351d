"""``DataFrame``: the annotation the example assets use for pandas DataFrames.

It stands for ``pandas.DataFrame`` without importing pandas when the code location loads: pandas costs
about a second in every code-server start and every step process, also for steps that never touch a frame.
Dagster resolves annotations when the assets are defined, so neither a string annotation nor an import
under ``TYPE_CHECKING`` would do; the IO manager stores real DataFrames as Parquet whatever the annotation.
"""

from typing import Any, TypeAlias

DataFrame: TypeAlias = Any
