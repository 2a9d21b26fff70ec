"""SSCFLP benchmark files: the Holmberg layout and the OR-Library layout.

Whitespace-separated numbers: ``J I`` (facilities, customers); J lines
``capacity fixed_cost``; then either

* the **Holmberg** layout (Holmberg et al. 1999 and sets written like it):
  I demands, then a J x I cost matrix, one row per facility (``cost[j][i]``
  is the cost of serving customer i from facility j); or
* the **OR-Library** layout (Beasley's ``cap41`` ... ``capc``): for each
  customer, its demand followed by its J costs (the cost of serving all of
  its demand from each facility).

Both hold the same count of numbers, so the layout is read from the line
structure: OR-Library files start every customer's block on a new line,
Holmberg files start every facility's cost row on a new line. When both
(or neither) fit, the Holmberg layout is used; ``format="orlib"`` forces the
OR-Library one. The ``capacity`` placeholder word of ``capa``/``capb``/
``capc`` is reported with what to do about it.

Numbers may end with a dot (``366.``). Real files end with NUL padding (and
sometimes stray bytes after it); everything from the first NUL byte on is
ignored. One extra number on a line of its own at the end is the optimal
value some collections append (Guastaroba and Speranza's copies of the
OR-Library and other sets): it is kept as ``metadata["reported_optimum"]``.

Both layouts give each facility a line ``capacity fixed_cost``. A file whose
facility block is laid out otherwise (e.g. the TBED1 set: demands, then
capacities, then fixed costs, each as a block of its own) holds the same
count of numbers but is a different layout; rather than read it wrongly,
the reader reports it (``format="holmberg"``/``"orlib"`` still force a
reading). Files with one number per line carry no layout information and are
read as described above.

Read as HFLOP with p = 1 (every customer served) and l = 1: facilities are
hosts (capacity R, fixed cost C_e), customers are devices (demand D).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from hflopt.errors import FormatError, InstanceError
from hflopt.instance import Instance
from hflopt.io._common import num, read_bytes, rename_field, uncompressed, write_text_atomic

_FIELDS = {
    "capacity": "capacity",
    "edge_cost": "fixed_cost",
    "workload": "demand",
    "link_cost": "cost",
}
_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*(\r?\n|$)")


_BOM = b"\xef\xbb\xbf"


def sniff(head: bytes) -> bool:
    """True when the first line holds exactly two whole numbers."""
    return bool(_HEADER.match(head.split(b"\0", 1)[0].removeprefix(_BOM)[:200] + b"\n"))


def read(path: Path, source: str) -> Instance:
    """Read either layout (detected from the line structure)."""
    return _read(path, source, layout=None)


def read_holmberg(path: Path, source: str) -> Instance:
    """Read the Holmberg layout (demands, then one cost row per facility)."""
    return _read(path, source, layout="holmberg")


def read_orlib(path: Path, source: str) -> Instance:
    """Read the OR-Library layout (demand, then the J costs, per customer)."""
    return _read(path, source, layout="orlib")


def _first_on_line(data: bytes, starts: np.ndarray) -> np.ndarray:
    """For tokens starting at byte offsets ``starts``: is each the first on its line?"""
    newlines = np.frombuffer(data, dtype=np.uint8) == ord("\n")
    line = np.cumsum(newlines)[starts] if starts.size else starts
    first = np.ones(starts.size, dtype=bool)
    first[1:] = line[1:] != line[:-1]
    return first


def _layout(first: np.ndarray, m: int, n: int) -> str:
    """Which layout the line starts ``first`` (one flag per number) fit."""
    orlib = bool(first[2 + 2 * m + (m + 1) * np.arange(n)].all())
    holmberg = bool(first[2 + 2 * m + n + n * np.arange(m)].all())
    return "orlib" if orlib and not holmberg else "holmberg"


def _check_facility_lines(data: bytes, starts: np.ndarray, first: np.ndarray, m: int, n: int,
                          source: str) -> None:
    """Refuse a file whose facility block is not J lines ``capacity fixed_cost``.

    Holmberg and OR-Library files both have them; so a file with line
    structure but without them is another layout with the same count of
    numbers (TBED1: demands, capacities, fixed costs as blocks), and reading
    it as either would silently give a different problem.
    """
    if first.all():
        return  # one number per line: no layout information at all
    line_id = np.cumsum(first) - 1
    counts = np.bincount(line_id, minlength=int(line_id[2]) + m)
    fac_lines = line_id[2] + np.arange(m)
    bad = np.flatnonzero(counts[fac_lines] != 2)
    if first[2] and bad.size == 0:
        return
    lid = int(fac_lines[bad[0]]) if first[2] else int(line_id[2])
    at = int(np.flatnonzero(line_id == lid)[0])
    line = data[: starts[at]].count(b"\n") + 1
    on_line = int(counts[lid])
    blocks = bool(first[2] and first[2 + n] and first[2 + n + m] and first[2 + n + 2 * m])
    hint = (" It looks like the TBED1 layout (I demands, J capacities, J fixed costs, each a "
            "block of its own), which hflopt does not read." if blocks else "")
    raise FormatError(
        f"a facility line 'capacity fixed_cost' expected (J = {m} such lines follow the first "
        f"line in the Holmberg and OR-Library layouts).{hint} "
        "format 'holmberg' or 'orlib' (--format on the command line) reads it in that layout "
        "regardless",
        field=f"line {line}", value=f"{on_line} numbers", source=source,
    )


_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True
#: longer tokens are not numbers of an SSCFLP file (and would blow up the parse)
_MAX_TOKEN = 64


def _token_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end byte offsets of the whitespace-separated tokens (numpy, no Python loop)."""
    space = _WHITESPACE[np.frombuffer(data, dtype=np.uint8)]
    edges = np.diff(np.concatenate(([True], space, [True])).view(np.int8))
    return np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _parse_numbers(data: bytes, starts: np.ndarray, ends: np.ndarray, source: str) -> np.ndarray:
    """The tokens as float64; a word, an over-long token or inf/nan is reported with its line."""
    lengths = ends - starts
    if lengths.size and int(lengths.max()) > _MAX_TOKEN:
        k = int(np.argmax(lengths > _MAX_TOKEN))
        raise FormatError(f"not a number (a token of {int(lengths[k])} characters)",
                          field=f"line {_line_of(data, int(starts[k]))}",
                          value=data[starts[k]:starts[k] + 20].decode("latin-1") + "...", source=source)
    tokens = data.split()
    words = np.array(tokens, dtype=f"S{max(1, int(lengths.max()) if lengths.size else 1)}")
    del tokens
    try:
        values = words.astype(np.float64)
    except ValueError:
        k = next(k for k, t in enumerate(words.tolist()) if not _is_number(t))
        raise FormatError("not a number", field=f"line {_line_of(data, int(starts[k]))}",
                          value=words[k].decode("latin-1"), source=source) from None
    bad = ~np.isfinite(values)
    if bad.any():
        k = int(np.argmax(bad))
        raise FormatError("must be a finite number (SSCFLP files have no 'no link' marker)",
                          field=f"line {_line_of(data, int(starts[k]))}",
                          value=words[k].decode("latin-1"), source=source)
    return values


def _placeholder(data: bytes, source: str) -> None:
    """Refuse the OR-Library ``capacity`` placeholder word with what to do about it."""
    match = re.search(rb"(?i)(?<!\S)capacity(?!\S)", data)
    if match:
        raise FormatError(
            "the OR-Library placeholder 'capacity' (capa/capb/capc files): replace it with one "
            "of the numeric capacities of Beasley (1988), Table 1, to get a problem",
            field=f"line {_line_of(data, match.start())}", value="capacity", source=source,
        )


def _read(path: Path, source: str, layout: str | None) -> Instance:
    # a UTF-8 byte-order mark (files saved by Windows editors) is not part of the data
    data = read_bytes(path, source).split(b"\0", 1)[0].removeprefix(_BOM)
    _placeholder(data, source)
    starts, ends = _token_bounds(data)
    if starts.size < 2:
        raise FormatError("expected a first line 'J I' (facilities, customers)", source=source)
    values = _parse_numbers(data, starts, ends, source)
    j_count, i_count = values[0], values[1]
    for field, v in (("J (facilities)", j_count), ("I (customers)", i_count)):
        if not v.is_integer() or v < 1:
            raise FormatError("must be a whole number >= 1", field=field, value=num(v), source=source)
    m, n = int(j_count), int(i_count)
    expected = 2 + 2 * m + n + m * n
    metadata: dict[str, object] = {"source_format": "sscflp"}
    first = _first_on_line(data, starts)
    if values.size == expected + 1 and first[-1]:
        # the optimal value appended on a line of its own (Guastaroba & Speranza's sets)
        metadata["reported_optimum"] = float(values[-1])
        values, starts, first = values[:-1], starts[:-1], first[:-1]
    if values.size != expected:
        raise FormatError(
            f"expected {expected} numbers for J = {m} facilities and I = {n} customers "
            f"(2 + 2J + I + J*I), found {values.size}",
            field="numbers", source=source,
        )
    if layout is None:
        _check_facility_lines(data, starts, first, m, n, source)
        layout = _layout(first, m, n)
    metadata["layout"] = layout
    pos = 2
    fac = values[pos : pos + 2 * m].reshape(m, 2)
    pos += 2 * m
    if layout == "orlib":
        block = values[pos:].reshape(n, m + 1)
        demand, cost_im = block[:, 0], block[:, 1:]
    else:
        demand = values[pos : pos + n]
        cost_im = values[pos + n :].reshape(m, n).T
    try:
        return Instance.from_dense(
            fac[:, 0], fac[:, 1], demand, cost_im,
            participation_ratio=1.0, rounds_ratio=1, name=uncompressed(path).name,
            metadata=metadata,
        )
    except InstanceError as exc:
        err = rename_field(exc, _FIELDS, source)
        if err.field and err.field.startswith("device_costs["):
            i, j = err.field[len("device_costs["):].rstrip("]").split("][")
            err = type(err)(err.message, field=f"cost[{j}][{i}] (facility {j}, customer {i})",
                            value=err.value, source=source)
        raise err from None


def _is_number(token: bytes) -> bool:
    try:
        np.array([token]).astype(np.float64)
    except ValueError:
        return False
    return True


def write(instance: Instance, path: Path) -> None:
    if not instance.is_dense:
        raise InstanceError(
            "the SSCFLP format needs a link between every device and host "
            f"({instance.n_links} of {instance.n_devices * instance.n_hosts} present)",
            field="links",
        )
    if instance.min_participants != instance.n_devices or instance.rounds_ratio != 1:
        raise InstanceError(
            "the SSCFLP format can only hold instances with p = 1 (T = N) and l = 1",
            field="min_participants/rounds_ratio",
            value=(instance.min_participants, instance.rounds_ratio),
        )

    def fmt(v: float) -> str:
        return str(num(v)) if float(v).is_integer() else repr(float(v))

    lines = [f"{instance.n_hosts} {instance.n_devices}"]
    lines += [f"{fmt(r)} {fmt(c)}" for r, c in zip(instance.capacity, instance.edge_cost, strict=True)]
    cost = instance.dense_costs().T
    for block in [instance.workload, *cost]:
        for k in range(0, block.size, 10):
            lines.append(" ".join(fmt(v) for v in block[k : k + 10]))
    write_text_atomic(path, "\n".join(lines) + "\n")


__all__ = ["read", "read_holmberg", "read_orlib", "sniff", "write"]
