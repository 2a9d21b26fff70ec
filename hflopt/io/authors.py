"""The JSON instance format of the LCN 2024 authors' tools.

Keys: ``capacities`` (R), ``workload`` (D), ``device_costs`` (N rows of M
costs), ``edge_costs`` (C_e), ``participation_ratio`` (p, default 1),
``local_to_global_ratio`` (l, default 1) and an optional ``seed``. hflopt
extension: a ``null`` cost marks a missing device-host link. Hosts and
devices are identified by their 0-based positions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.instance import Instance
from hflopt.io._common import (
    check_schema,
    nums,
    parse_json,
    read_text,
    rename_field,
    shipped_schema,
    uncompressed,
    write_text_atomic,
)

_FIELDS = {
    "capacity": "capacities",
    "edge_cost": "edge_costs",
    "workload": "workload",
    "link_cost": "device_costs",
    "rounds_ratio": "local_to_global_ratio",
    "participation_ratio": "participation_ratio",
    "min_participants": "participation_ratio",
}


def schema() -> dict[str, Any]:
    """The JSON Schema hflopt checks authors'-format files against."""
    return shipped_schema("authors.schema.json")[0]


def sniff(obj: Any) -> bool:
    return isinstance(obj, dict) and "device_costs" in obj and "format" not in obj


def read(path: Path, source: str) -> Instance:
    return from_obj(parse_json(read_text(path, source), source), source, default_name=uncompressed(path).stem)


def from_obj(obj: Any, source: str, default_name: str = "") -> Instance:
    check_schema(shipped_schema("authors.schema.json")[1], obj, source)
    n, m = len(obj["workload"]), len(obj["capacities"])
    rows = obj["device_costs"]
    if len(rows) != n:
        raise InstanceError(
            f"must have one row per device ({n} workloads), got {len(rows)} rows",
            field="device_costs", source=source,
        )
    for i, row in enumerate(rows):
        if len(row) != m:
            raise InstanceError(
                f"must have one cost per host ({m} capacities), got {len(row)}",
                field=f"device_costs[{i}]", source=source,
            )
    if len(obj["edge_costs"]) != m:
        raise InstanceError(
            f"must have one cost per host ({m} capacities), got {len(obj['edge_costs'])}",
            field="edge_costs", source=source,
        )
    costs = np.array(rows, dtype=np.float64).reshape(n, m) if n else np.zeros((0, m))
    meta = {"seed": obj["seed"]} if "seed" in obj else {}
    try:
        return Instance.from_dense(
            obj["capacities"],
            obj["edge_costs"],
            obj["workload"],
            np.where(np.isnan(costs), np.inf, costs),
            participation_ratio=obj.get("participation_ratio", 1.0),
            rounds_ratio=obj.get("local_to_global_ratio", 1),
            name=default_name,
            metadata=meta,
        )
    except InstanceError as exc:
        raise rename_field(exc, _FIELDS, source) from None


def to_obj(instance: Instance) -> dict[str, Any]:
    n = instance.n_devices
    p = instance.participation_ratio
    if p is None:
        p = instance.min_participants / n if n else 1.0
    costs = instance.dense_costs(missing=np.nan)
    rows = [[None if v != v else v for v in nums(row)] for row in costs] if n else []
    obj: dict[str, Any] = {}
    if "seed" in instance.metadata:
        obj["seed"] = instance.metadata["seed"]
    obj.update(
        {
            "capacities": nums(instance.capacity),
            "workload": nums(instance.workload),
            "device_costs": rows,
            "edge_costs": nums(instance.edge_cost),
            "participation_ratio": p,
            "local_to_global_ratio": nums([instance.rounds_ratio])[0],
        }
    )
    return obj


def write(instance: Instance, path: Path) -> None:
    obj = to_obj(instance)
    lines = ["{"]
    items = list(obj.items())
    for k, (key, value) in enumerate(items):
        comma = "," if k < len(items) - 1 else ""
        if key == "device_costs":
            inner = ",\n  ".join(json.dumps(row) for row in value)
            lines.append(f' "device_costs": [\n  {inner}\n ]{comma}' if value else f' "device_costs": []{comma}')
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, allow_nan=False)}{comma}")
    lines.append("}")
    write_text_atomic(path, "\n".join(lines) + "\n")


__all__ = ["from_obj", "read", "schema", "sniff", "to_obj", "write"]
