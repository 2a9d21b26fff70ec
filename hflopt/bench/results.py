"""Results tables on disk: CSV (optionally compressed) or Parquet, and the Markdown summary.

Writes go through hflopt's output rules (checked before any run, atomic,
pipes written through); reads through its bounded reader.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hflopt.errors import FormatError, InstanceError

__all__ = ["ResultsTarget", "check_results_path", "load_results", "save_results", "summary_path"]

#: columns a table needs for the summary and the plots
REQUIRED = ("instance", "method", "status", "objective", "gap_to_best", "seconds")


@dataclass(frozen=True)
class ResultsTarget:
    """A checked output: the table's target, its kind and the summary's target (None for a pipe)."""

    table: Any
    kind: str
    summary: Any


def _kind(path: Path) -> str:
    from hflopt.io._files import uncompressed

    suffix = uncompressed(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".parquet" and uncompressed(path) == path:
        return "parquet"
    raise InstanceError("results are written as .csv (or .csv.gz, .csv.bz2, .csv.xz) or .parquet",
                        field="output", value=str(path))


def summary_path(path: str | os.PathLike[str]) -> Path:
    """``results.csv`` -> ``results.summary.md`` (next to it; compression suffixes dropped too)."""
    from hflopt.io._files import uncompressed

    p = uncompressed(Path(path))
    return p.with_name(p.stem + ".summary.md")


def check_results_path(path: str | os.PathLike[str]) -> ResultsTarget:
    """Check before any run that the results (and their summary) can be written.

    Raises an InstanceError (exit status 2) for another suffix, Parquet
    without pyarrow, or a path :func:`hflopt.io._files.output_target` refuses.
    """
    from hflopt.io._files import output_target

    table = output_target(path)
    kind = "csv" if table.kind == "stream" else _kind(Path(table.shown))
    if kind == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InstanceError("writing Parquet needs pyarrow (pip install pyarrow), or give a .csv name",
                                field="output", value=str(path)) from None
    summary = None if table.kind == "stream" else output_target(summary_path(table.shown))
    return ResultsTarget(table, kind, summary)


def save_results(frame: Any, path: str | os.PathLike[str] | ResultsTarget, summary: str | None = None) -> None:
    """Write a results table (CSV or Parquet, from the name) and, when given, its Markdown summary."""
    from hflopt.io._common import write_bytes_atomic, write_text_atomic

    target = path if isinstance(path, ResultsTarget) else check_results_path(path)
    if target.kind == "parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        write_bytes_atomic(target.table, buf.getvalue())
    else:
        write_text_atomic(target.table, frame.to_csv(index=False, lineterminator="\n"))
    if summary is not None and target.summary is not None:
        write_text_atomic(target.summary, summary if summary.endswith("\n") else summary + "\n")


def load_results(path: str | os.PathLike[str]) -> Any:
    """Read a results table written by :func:`save_results` (or ``hflopt bench -o``).

    Raises an InstanceError naming the file when it is missing, unreadable,
    not a table or lacks a column the summary and plots need.
    """
    import pandas as pd

    from hflopt.io._files import read_bytes, uncompressed

    source = str(path)
    p = Path(path)
    data = read_bytes(p, source)
    try:
        if uncompressed(p).suffix.lower() == ".parquet":
            frame = pd.read_parquet(io.BytesIO(data))
        else:
            frame = pd.read_csv(io.BytesIO(data))
    except ImportError:
        raise FormatError("reading Parquet needs pyarrow (pip install pyarrow)", source=source) from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise FormatError(f"is not a results table: {str(exc).splitlines()[0]}", source=source) from None
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise FormatError(f"is not a results table of hflopt bench: column(s) {', '.join(missing)} missing",
                          source=source)
    for column in ("objective", "bound", "gap", "best_known", "gap_to_best", "seconds", "peak_memory_mb"):
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    frame["method"] = frame["method"].astype(str)
    frame["instance"] = frame["instance"].astype(str)
    return frame
