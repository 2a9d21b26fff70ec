"""Reading and writing instances in every supported format.

========== ================================================================
format     what it is
========== ================================================================
native     hflopt's versioned JSON (ids, sparse links; JSON Schema checked)
authors    the JSON of the LCN 2024 authors' tools (dense cost matrix)
csv        a folder with hosts.csv, devices.csv, links.csv (+ params.csv)
sscflp     SSCFLP benchmark files (Holmberg or OR-Library layout, detected),
           read with p = 1, l = 1
holmberg   the same, forcing the Holmberg layout
orlib      the same, forcing the OR-Library layout (Beasley's cap files)
========== ================================================================

:func:`load_instance` picks the format from the file's content (and
extension); pass ``format=`` to override. :func:`save_instance` picks it from
the extension (``.json`` -> native, no extension -> csv folder, ``.txt``,
``.dat`` or ``.sscflp`` -> sscflp) unless ``format=`` is given. Every write is
atomic: a temporary file (or folder) is renamed into place.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hflopt.errors import FormatError, InstanceError
from hflopt.instance import Instance
from hflopt.io import authors, csv_tables, native, sscflp
from hflopt.io._common import (
    GRAPH_FORMATS,
    compression,
    parse_json,
    read_bytes,
    read_text,
    uncompressed,
    write_text_atomic,
)
from hflopt.io._files import OutputTarget, is_stream, output_target, read_once
from hflopt.limits import DEFAULT_MAX_INPUT_BYTES, input_limit

__all__ = [
    "DEFAULT_MAX_INPUT_BYTES",
    "FORMATS",
    "GRAPH_FORMATS",
    "check_output",
    "detect_format",
    "input_limit",
    "load_instance",
    "output_format",
    "register_format",
    "save_instance",
    "write_text_atomic",
]

Reader = Callable[[Path, str], Instance]
Writer = Callable[[Instance, Path], None]

#: name -> (reader, writer or None, one-line description)
FORMATS: dict[str, tuple[Reader, Writer | None, str]] = {
    "native": (native.read, native.write, "hflopt JSON (ids, sparse links)"),
    "authors": (authors.read, authors.write, "JSON of the LCN 2024 authors' tools"),
    "csv": (csv_tables.read, csv_tables.write, "folder of hosts.csv, devices.csv, links.csv"),
    "sscflp": (sscflp.read, sscflp.write,
               "SSCFLP benchmark file (Holmberg or OR-Library layout, detected; writes Holmberg)"),
    "holmberg": (sscflp.read_holmberg, sscflp.write, "SSCFLP file, Holmberg layout forced"),
    "orlib": (sscflp.read_orlib, None, "SSCFLP file, OR-Library layout forced (Beasley's cap files)"),
}
_ALIASES = {"hflopt": "native", "json": "native", "lcn": "authors", "beasley": "orlib"}
_SUFFIX_READ: dict[str, str] = {}
#: instance formats whose writers compress for .gz, .bz2 and .xz names (one JSON file)
_COMPRESSIBLE = ("native", "authors")
_SUFFIX_WRITE = {".json": "native", ".txt": "sscflp", ".dat": "sscflp", ".sscflp": "sscflp"}


def register_format(
    name: str,
    reader: Reader,
    writer: Writer | None,
    description: str,
    *,
    suffixes: tuple[str, ...] = (),
) -> None:
    """Add a format (used by :mod:`hflopt.io` plug-ins such as graph files)."""
    FORMATS[name] = (reader, writer, description)
    for s in suffixes:
        _SUFFIX_READ[s.lower()] = name
        if writer is not None:
            _SUFFIX_WRITE.setdefault(s.lower(), name)


_GRAPH_DESCRIPTIONS = {
    "graphml": "GraphML network graph (hosts/devices from node attributes; shortest-path costs)",
    "gml": "GML network graph (hosts/devices from node attributes; shortest-path costs)",
    "edgelist": "edge list with '# node' attribute lines (shortest-path costs)",
}


def _graph_reader(fmt: str) -> Reader:
    def read(path: Path, source: str) -> Instance:
        from hflopt.io.graphs import read_graph_instance

        return read_graph_instance(path, source, fmt)

    read.__doc__ = f"Read a {fmt} graph file as an instance (roles and values from node attributes)."
    return read


for _name, _suffixes in GRAPH_FORMATS.items():
    register_format(_name, _graph_reader(_name), None, _GRAPH_DESCRIPTIONS[_name], suffixes=_suffixes)


def _canonical(fmt: str) -> str:
    key = fmt.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise InstanceError(
            f"unknown format (known: {', '.join(sorted(FORMATS))})", field="format", value=fmt
        )
    return key


def detect_format(path: str | os.PathLike[str]) -> str:
    """Name of the format of ``path``, judged from its content and extension."""
    p = Path(path)
    source = str(path)
    if p.is_dir():
        if csv_tables.sniff(p):
            return "csv"
        missing = [t for t in csv_tables.TABLES if not (p / t).is_file()]
        raise FormatError(
            f"folder is not a CSV instance: {', '.join(missing)} missing", source=source
        )
    if not p.exists():
        raise InstanceError("no such file", source=source)
    if is_stream(p):
        raise FormatError(
            "is not a regular file (a pipe or a device): its format cannot be told without "
            "consuming it; give the format (--format on the command line)", source=source)
    suffix = uncompressed(p).suffix.lower()
    if suffix in _SUFFIX_READ:
        return _SUFFIX_READ[suffix]
    head = read_bytes(p, source, limit=4096)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{") or suffix == ".json":
        obj = parse_json(read_text(p, source), source)
        return _json_kind(obj, source)
    if sscflp.sniff(head):
        return "sscflp"
    if not stripped:
        raise FormatError("is empty", source=source)
    hint = _hint(p, head)
    raise FormatError(
        f"unrecognised file format: {hint}" if hint else
        f"unrecognised file format; give one with --format ({', '.join(sorted(FORMATS))})",
        source=source,
    )


def _hint(path: Path, head: bytes) -> str | None:
    """What a file hflopt cannot read as an instance looks like, and the command that reads it."""
    import re

    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    first = text.splitlines()[0].lower() if text.strip() else ""
    name = uncompressed(path).name.lower()
    if name in (*csv_tables.TABLES, csv_tables.PARAMS):
        return (f"{name} is one table of a CSV instance; give the folder that holds hosts.csv, "
                "devices.csv and links.csv")
    if re.search(r"POINT\s*\(", text) or re.match(r"\s*\d+\s+\d+\s+-?\d+\.\d+\s+-?\d+\.\d+\s", text):
        return (f"it looks like a METR-LA sensor subset such as the study's clusters.dat; build the "
                f"study instance with: hflopt generate metr-la-study {path} -o study.json")
    if "latitude" in first and "longitude" in first:
        return (f"it looks like a sensor locations CSV (METR-LA's graph_sensor_locations.csv); build an "
                f"instance with: hflopt generate metr-la {path} --sites 10 -o city.json")
    return None


#: JSON files hflopt writes that are not instances, and what reads them
_JSON_HINTS = {
    "hflopt-result": "a result of hflopt solve, not an instance (evaluate it with: hflopt evaluate "
                     "INSTANCE RESULT.json)",
    "hflopt-scenario": "a latency scenario, not an instance (use it with: hflopt evaluate INSTANCE "
                       "RESULT.json --scenario FILE)",
}


def _json_kind(obj: Any, source: str) -> str:
    if native.sniff(obj):
        return "native"
    if isinstance(obj, dict) and obj.get("format") not in (None, native.FORMAT_TAG):
        tag = obj.get("format")
        hint = _JSON_HINTS.get(tag) if isinstance(tag, str) else None
        raise FormatError(
            hint or f"unknown JSON format tag (expected {native.FORMAT_TAG!r})",
            field="format", value=tag, source=source,
        )
    if isinstance(obj, dict) and any(k in obj for k in ("device_costs", "capacities", "edge_costs")):
        return "authors"
    raise FormatError(
        "JSON is neither an hflopt instance ({\"format\": \"hflopt-instance\", ...}) nor in the "
        "authors' format (capacities, workload, device_costs, edge_costs)",
        source=source,
    )


def load_instance(
    path: str | os.PathLike[str], format: str | None = None, *, max_input_size: int | str | None = None
) -> Instance:
    """Read an instance; raise :class:`~hflopt.errors.InstanceError` on bad input.

    Parameters
    ----------
    path:
        A file, or a folder of CSV tables. Pipes and devices (``/dev/stdin``)
        are read when ``format`` is given.
    format:
        ``native``, ``authors``, ``csv``, ``sscflp`` (or a registered
        plug-in format); detected from the content when omitted.
    max_input_size:
        Cap on the bytes read from one file after decompression (a number of
        bytes or a size such as ``"4G"``); default 1 GiB, or the
        ``HFLOPT_MAX_INPUT_SIZE`` environment variable.
    """
    source = str(path)
    with input_limit(max_input_size), read_once():
        fmt = _canonical(format) if format else detect_format(path)
        reader = FORMATS[fmt][0]
        try:
            return reader(Path(path), source)
        except InstanceError as exc:
            raise exc.with_source(source) from None
        except MemoryError:
            raise InstanceError("too large to load into memory", source=source) from None
        except (OverflowError, ValueError, RecursionError) as exc:  # a number or a nesting no check foresaw
            raise FormatError(f"cannot be read: {type(exc).__name__}: {exc}", source=source) from None


def output_format(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The format :func:`save_instance` writes ``path`` in (from ``format`` or the name)."""
    if format:
        fmt = _canonical(format)
    else:
        p = Path(path)
        suffix = uncompressed(p).suffix.lower()
        if suffix in _SUFFIX_WRITE:
            fmt = _SUFFIX_WRITE[suffix]
        elif suffix == "" or p.is_dir():
            fmt = "csv"
        else:
            raise InstanceError(
                "cannot tell the output format from the extension; give one with --format "
                f"({', '.join(sorted(k for k, v in FORMATS.items() if v[1]))})",
                field="output", value=str(path),
            )
    if FORMATS[fmt][1] is None:
        raise InstanceError("format can be read but not written", field="format", value=fmt)
    if compression(Path(path)) and fmt not in _COMPRESSIBLE:
        raise InstanceError(
            f"compressed output is written for the JSON formats only ({', '.join(_COMPRESSIBLE)}), "
            f"not {fmt}: write the plain file and compress it", field="output", value=str(path),
        )
    return fmt


def check_output(path: str | os.PathLike[str], format: str | None = None) -> tuple[str, OutputTarget]:
    """Check before any work that an instance can be written to ``path``: (format, target)."""
    fmt = output_format(path, format)
    return fmt, output_target(path, folder=fmt == "csv")


def save_instance(
    instance: Instance, path: str | os.PathLike[str], format: str | None = None
) -> str:
    """Write ``instance`` (atomically to a file; see :mod:`hflopt.io._files`); return the format used."""
    fmt, _ = check_output(path, format)
    try:
        FORMATS[fmt][1](instance, Path(path))  # type: ignore[misc]
    except InstanceError as exc:
        raise exc.with_source(str(path)) from None
    return fmt
