"""The SSCFLP benchmark layout (Holmberg et al. 1999 and similar sets).

Whitespace-separated numbers: ``J I`` (facilities, customers); J lines
``capacity fixed_cost``; I demands; a J x I cost matrix, one row per
facility (``cost[j][i]`` is the cost of serving customer i from facility j).
Numbers may end with a dot (``366.``). Real files end with NUL padding (and
sometimes stray bytes after it); everything from the first NUL byte on is
ignored.

Read as HFLOP with p = 1 (every customer served) and l = 1: facilities are
hosts (capacity R, fixed cost C_e), customers are devices (demand D).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from hflopt.errors import FormatError, InstanceError
from hflopt.instance import Instance
from hflopt.io._common import atomic_path, num, read_bytes, rename_field

_FIELDS = {
    "capacity": "capacity",
    "edge_cost": "fixed_cost",
    "workload": "demand",
    "link_cost": "cost",
}
_HEADER = re.compile(rb"^\s*(\d+)\s+(\d+)\s*(\r?\n|$)")


def sniff(head: bytes) -> bool:
    """True when the first line holds exactly two whole numbers."""
    return bool(_HEADER.match(head.split(b"\0", 1)[0][:200] + b"\n"))


def read(path: Path, source: str) -> Instance:
    data = read_bytes(path, source).split(b"\0", 1)[0]
    tokens = data.split()
    if len(tokens) < 2:
        raise FormatError("expected a first line 'J I' (facilities, customers)", source=source)
    try:
        values = np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError:
        k = next(k for k, t in enumerate(tokens) if not _is_number(t))
        line = data[: data.find(tokens[k])].count(b"\n") + 1 if k else 1
        raise FormatError(
            "not a number", field=f"line {line}", value=tokens[k].decode("latin-1"), source=source
        ) from None
    j_count, i_count = values[0], values[1]
    for field, v in (("J (facilities)", j_count), ("I (customers)", i_count)):
        if not v.is_integer() or v < 1:
            raise FormatError("must be a whole number >= 1", field=field, value=num(v), source=source)
    m, n = int(j_count), int(i_count)
    expected = 2 + 2 * m + n + m * n
    if values.size != expected:
        raise FormatError(
            f"expected {expected} numbers for J = {m} facilities and I = {n} customers "
            f"(2 + 2J + I + J*I), found {values.size}",
            field="numbers", source=source,
        )
    pos = 2
    fac = values[pos : pos + 2 * m].reshape(m, 2)
    pos += 2 * m
    demand = values[pos : pos + n]
    pos += n
    cost = values[pos:].reshape(m, n)
    try:
        return Instance.from_dense(
            fac[:, 0], fac[:, 1], demand, cost.T,
            participation_ratio=1.0, rounds_ratio=1, name=path.name,
            metadata={"source_format": "sscflp"},
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
        float(token)
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
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="ascii")


__all__ = ["read", "sniff", "write"]
