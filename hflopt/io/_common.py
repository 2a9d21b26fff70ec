"""Helpers shared by the format modules: atomic writes, JSON parsing, numbers."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import math
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import Any

from hflopt.errors import FormatError, InstanceError


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place on success.

    On any exception the temporary file (or directory) is removed and ``path``
    is left untouched, so no half-written output ever appears.
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InstanceError("output folder does not exist", field="output", value=str(parent))
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    else:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
        os.close(fd)
        tmp = Path(name)
    try:
        yield tmp
        if directory:
            if target.is_dir():
                backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=parent))
                backup.rmdir()
                target.rename(backup)
                tmp.rename(target)
                shutil.rmtree(backup, ignore_errors=True)
            else:
                tmp.rename(target)
        else:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; see :func:`write_bytes_atomic`."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, then rename).

    A ``.gz``, ``.bz2`` or ``.xz`` name gets the data compressed that way
    (gzip without a timestamp: same data, same bytes).
    """
    kind = compression(Path(path))
    if kind is not None:
        data = _COMPRESSORS[kind](data)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


#: compressed files are read (and JSON and graph files written) transparently, told by
#: their last extension
COMPRESSION = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}
_OPENERS = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}
_COMPRESSORS = {"gzip": partial(gzip.compress, mtime=0), "bzip2": bz2.compress,
                "xz": lzma.compress}


def compression(path: Path) -> str | None:
    """``"gzip"``, ``"bzip2"`` or ``"xz"`` when ``path`` names a compressed file, else None."""
    return COMPRESSION.get(path.suffix.lower())


def uncompressed(path: Path) -> Path:
    """``path`` without its compression extension: its suffix tells the format, its stem the name."""
    return path.with_suffix("") if compression(path) else path


def read_bytes(path: Path, source: str, limit: int | None = None) -> bytes:
    """The file's bytes (decompressed for .gz, .bz2 and .xz files), at most ``limit`` of them.

    Raises an InstanceError naming the file when it is missing, a folder,
    unreadable or not valid compressed data.
    """
    kind = compression(path)
    try:
        if kind is None:
            if limit is None:
                return path.read_bytes()
            with open(path, "rb") as fh:
                return fh.read(limit)
        with _OPENERS[kind](path, "rb") as fh:
            return fh.read() if limit is None else fh.read(limit)
    except FileNotFoundError:
        raise InstanceError("no such file", source=source) from None
    except IsADirectoryError:
        raise InstanceError("is a folder, expected a file", source=source) from None
    except EOFError:
        raise FormatError(f"{kind} data ends early (a truncated file?)", source=source) from None
    except OSError as exc:  # also gzip.BadGzipFile and bz2's "Invalid data stream" (no errno)
        if kind is None or exc.errno is not None:
            raise InstanceError(f"cannot be read: {exc.strerror or exc}", source=source) from None
        raise FormatError(f"is not valid {kind} data ({exc})", source=source) from None
    except (zlib.error, lzma.LZMAError) as exc:
        raise FormatError(f"is not valid {kind} data ({exc})", source=source) from None


def read_text(path: Path, source: str) -> str:
    """The file as UTF-8 text (a BOM is skipped)."""
    data = read_bytes(path, source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"is not UTF-8 text (byte {exc.start})", source=source
        ) from None


def parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
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
