"""Helpers shared by the format modules: atomic writes, JSON parsing, numbers."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import math
import os
from collections.abc import Iterable
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import Any

from hflopt.errors import FormatError, InstanceError
from hflopt.io._files import (  # noqa: F401  (re-exported for the format modules)
    COMPRESSION,
    OutputTarget,
    compression,
    output_target,
    read_bytes,
    table_folder,
    uncompressed,
    write_bytes,
)

#: graph file formats: name -> file suffixes (read by :mod:`hflopt.io.graphs`, imported when used)
GRAPH_FORMATS: dict[str, tuple[str, ...]] = {
    "graphml": (".graphml",),
    "gml": (".gml",),
    "edgelist": (".edgelist", ".edges"),
}


def write_text_atomic(path: str | os.PathLike[str] | OutputTarget, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`write_bytes_atomic`."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str] | OutputTarget, data: bytes) -> None:
    """Write ``data`` to ``path``: atomically to a file, through to a pipe or device.

    A ``.gz``, ``.bz2`` or ``.xz`` name gets the data compressed that way
    (gzip without a timestamp: same data, same bytes). See
    :mod:`hflopt.io._files` for what is refused.
    """
    target = path if isinstance(path, OutputTarget) else output_target(path)
    kind = compression(Path(target.shown))
    if kind is not None:
        data = _COMPRESSORS[kind](data)
    write_bytes(target, data)


_COMPRESSORS = {"gzip": partial(gzip.compress, mtime=0), "bzip2": bz2.compress,
                "xz": lzma.compress}


def csv_frame(data: bytes, source: str, *, skip_initial_space: bool = True) -> Any:
    """A CSV's bytes as a pandas DataFrame of strings (no NA guessing); parse errors name ``source``."""
    import pandas as pd

    try:
        return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                           skipinitialspace=skip_initial_space, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise FormatError("is empty (a header line is required)", source=source) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"cannot be parsed as CSV: {str(exc).strip().splitlines()[0]}", source=source) from None


def first_duplicate(names: Iterable[str]) -> str | None:
    """The first name that occurs a second time (one pass, a set), or None."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def csv_header(data: bytes, source: str) -> list[str]:
    """The column names of a CSV's header line, as written (pandas renames repeated ones)."""
    import csv

    line = data.decode("utf-8-sig", "replace").splitlines()[:1]
    try:
        return [c.strip() for c in next(csv.reader(line), [])]
    except csv.Error as exc:
        raise FormatError(f"cannot be parsed as CSV: {exc}", field="header", source=source) from None


def read_text(path: Path, source: str) -> str:
    """The file as UTF-8 text (a BOM is skipped)."""
    data = read_bytes(path, source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"is not UTF-8 text (byte {exc.start})", source=source
        ) from None


def _json_int(text: str) -> int | float:
    """JSON integers: beyond 300 digits read as floats (inf past 1e308), so that no
    number parses into an integer too large for float64 or Python's digit limit."""
    return int(text) if len(text) <= 300 else float(text)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is an error (json would keep the last silently)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return obj


def parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, parse_int=_json_int, object_pairs_hook=_unique_object)
    except _DuplicateKey as exc:
        raise FormatError("key appears twice in one JSON object (each key once)", field=exc.key,
                          source=source) from None
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", source=source
        ) from None
    except RecursionError:
        raise FormatError("invalid JSON: nested too deeply", source=source) from None


def dumps_json(obj: Any) -> str:
    """Readable JSON: objects indented one level per depth, lists of scalars on one line."""

    def enc(value: Any, indent: int) -> str:
        pad = " " * (indent + 1)
        if isinstance(value, dict):
            if not value:
                return "{}"
            items = [f"{pad}{json.dumps(str(k))}: {enc(v, indent + 1)}" for k, v in value.items()]
            return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
        if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            items = [pad + enc(v, indent + 1) for v in value]
            return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"
        return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(", ", ": "))

    return enc(obj, 0) + "\n"


def num(x: float) -> int | float:
    """A float as int when it is whole (keeps files readable and exact)."""
    x = float(x)
    if math.isfinite(x) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


def nums(arr: Any) -> list[int | float]:
    return [num(v) for v in arr.tolist()] if hasattr(arr, "tolist") else [num(v) for v in arr]


def rename_field(err: InstanceError, mapping: dict[str, str], source: str) -> InstanceError:
    """Translate an internal field name (``capacity[3]``) to a file's (``capacities[3]``)."""
    field = err.field
    if field:
        head, sep, tail = field.partition("[")
        if head in mapping:
            field = mapping[head] + sep + tail
    new = type(err)(err.message, field=field, value=err.value, source=err.source or source)
    return new


def check_schema(validator: Any, obj: Any, source: str) -> None:
    """Validate ``obj`` with a compiled jsonschema-rs validator.

    Raises a :class:`FormatError` naming the field (a JSON path such as
    ``hosts.capacity[3]``), what is wrong and the value. jsonschema-rs checks a
    million-entry document in a few hundredths of a second.
    """
    if validator.is_valid(obj):
        return
    err = next(iter(validator.iter_errors(obj)))
    path = ""
    for part in err.instance_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    kind = err.kind
    name = type(kind).__name__
    if name == "Required":
        missing = kind.property
        return_field = f"{path}.{missing}" if path else str(missing)
        raise FormatError("required field is missing", field=return_field, source=source)
    if name == "AdditionalProperties":
        extra = ", ".join(map(str, kind.unexpected))
        raise FormatError(f"unknown field(s) {extra}", field=path or None, source=source)
    value = _lookup(obj, err.instance_path, err.instance)
    if isinstance(value, float) and not math.isfinite(value):
        raise FormatError("must be a finite number >= 0", field=path or None, value=value, source=source)
    message = _schema_message(name, kind, err.message)
    if isinstance(value, (dict, list)):
        raise FormatError(message, field=path or None, source=source)
    raise FormatError(message, field=path or None, value=value, source=source)


def _lookup(obj: Any, path: Any, default: Any) -> Any:
    """The value at a JSON path in ``obj`` (jsonschema-rs reports NaN as None)."""
    try:
        for part in path:
            obj = obj[part]
    except (KeyError, IndexError, TypeError):
        return default
    return obj


@cache
def shipped_schema(filename: str) -> tuple[dict[str, Any], Any]:
    """A JSON Schema shipped in ``hflopt/schemas`` and its compiled jsonschema-rs validator."""
    import jsonschema_rs

    text = resources.files("hflopt.schemas").joinpath(filename).read_text("utf-8")
    schema = json.loads(text)
    return schema, jsonschema_rs.validator_for(schema)


def _schema_message(name: str, kind: Any, default: str) -> str:
    if name == "Minimum":
        return f"must be >= {num(kind.limit)}"
    if name == "ExclusiveMinimum":
        return f"must be > {num(kind.limit)}"
    if name == "Maximum":
        return f"must be <= {num(kind.limit)}"
    if name == "Type":
        kinds = [str(t).lower() for t in kind.types]
        return "must be " + " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
    if name == "Constant":
        return f"must be {getattr(kind, 'expected_value', default)!r}"
    if name == "MinItems":
        return f"must have at least {kind.limit} entries"
    return default


_TYPE_WORDS = {
    "number": "a number",
    "integer": "a whole number",
    "string": "a string",
    "array": "a list",
    "object": "an object",
    "null": "null",
    "boolean": "true or false",
}
