"""hflopt's native JSON format (versioned, ids, sparse links, JSON Schema).

Layout (version 1; the schema ships as ``hflopt/schemas/instance-v1.schema.json``)::

    {"format": "hflopt-instance", "version": 1, "name": "city-a",
     "rounds_ratio": 4, "participation_ratio": 0.7,      # or "min_participants": 7
     "hosts":   {"id": ["h0", "h1"], "capacity": [50, 50], "cloud_cost": [1, 1],
                 "x": [...], "y": [...]},                 # x, y optional
     "devices": {"id": ["d0", "d1", "d2"], "workload": [6, 9, 1]},
     "links":   {"device": ["d0", "d0", "d1"], "host": ["h0", "h1", "h1"],
                 "cost": [0, 1, 0]},
     "metadata": {"seed": 7}}

Columns are parallel arrays. A device can only report to a host it has a link
to, so sparse topologies cost one entry per candidate pair.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hflopt.errors import FormatError, InstanceError
from hflopt.instance import Instance
from hflopt.io._common import (
    check_schema,
    dumps_json,
    nums,
    parse_json,
    read_text,
    shipped_schema,
    uncompressed,
    write_text_atomic,
)
from hflopt.io._tables import instance_from_columns

FORMAT_TAG = "hflopt-instance"
VERSION = 1

_FIELDS = {
    "capacity": "hosts.capacity",
    "edge_cost": "hosts.cloud_cost",
    "workload": "devices.workload",
    "link_cost": "links.cost",
    "link_device": "links.device",
    "link_host": "links.host",
    "host_ids": "hosts.id",
    "device_ids": "devices.id",
    "host_xy": "hosts.x/y",
    "device_xy": "devices.x/y",
}


def schema() -> dict[str, Any]:
    """The JSON Schema of the native format (version 1)."""
    return shipped_schema("instance-v1.schema.json")[0]


def sniff(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("format") == FORMAT_TAG


def read(path: Path, source: str) -> Instance:
    return from_obj(parse_json(read_text(path, source), source), source, default_name=uncompressed(path).stem)


def from_obj(obj: Any, source: str, default_name: str = "") -> Instance:
    if isinstance(obj, dict) and obj.get("format") == FORMAT_TAG and obj.get("version") not in (None, VERSION):
        raise FormatError(
            f"unsupported version (this hflopt reads version {VERSION})",
            field="version", value=obj.get("version"), source=source,
        )
    check_schema(shipped_schema("instance-v1.schema.json")[1], obj, source)
    hosts, devices, links = obj["hosts"], obj["devices"], obj["links"]
    for table, key, ref in (
        (hosts, "capacity", "id"), (hosts, "cloud_cost", "id"), (hosts, "x", "id"), (hosts, "y", "id"),
        (devices, "workload", "id"), (devices, "x", "id"), (devices, "y", "id"),
        (links, "host", "device"), (links, "cost", "device"),
    ):
        if key in table and len(table[key]) != len(table[ref]):
            name = "hosts" if table is hosts else "devices" if table is devices else "links"
            raise FormatError(
                f"must have as many entries as {name}.{ref} ({len(table[ref])}), got {len(table[key])}",
                field=f"{name}.{key}", source=source,
            )
    for table, name in ((hosts, "hosts"), (devices, "devices")):
        if ("x" in table) != ("y" in table):
            raise FormatError("x and y must be given together", field=name, source=source)
    try:
        return instance_from_columns(
            Instance,
            host_ids=hosts["id"],
            capacity=hosts["capacity"],
            edge_cost=hosts["cloud_cost"],
            device_ids=devices["id"],
            workload=devices["workload"],
            link_device=links["device"],
            link_host=links["host"],
            link_cost=links["cost"],
            fields={"host_ids": "hosts.id", "device_ids": "devices.id",
                    "link_device": "links.device", "link_host": "links.host"},
            host_xy=np.column_stack([hosts["x"], hosts["y"]]) if "x" in hosts else None,
            device_xy=np.column_stack([devices["x"], devices["y"]]) if "x" in devices else None,
            min_participants=obj.get("min_participants"),
            participation_ratio=obj.get("participation_ratio"),
            rounds_ratio=obj.get("rounds_ratio", 1),
            name=obj.get("name", default_name),
            metadata=obj.get("metadata"),
        )
    except InstanceError as exc:
        from hflopt.io._common import rename_field

        raise rename_field(exc, _FIELDS, source) from None


def to_obj(instance: Instance) -> dict[str, Any]:
    obj: dict[str, Any] = {"format": FORMAT_TAG, "version": VERSION}
    if instance.name:
        obj["name"] = instance.name
    obj["rounds_ratio"] = nums([instance.rounds_ratio])[0]
    if instance.participation_ratio is not None:
        obj["participation_ratio"] = instance.participation_ratio
    else:
        obj["min_participants"] = instance.min_participants
    hosts: dict[str, Any] = {
        "id": list(instance.host_ids),
        "capacity": nums(instance.capacity),
        "cloud_cost": nums(instance.edge_cost),
    }
    devices: dict[str, Any] = {"id": list(instance.device_ids), "workload": nums(instance.workload)}
    for table, xy in ((hosts, instance.host_xy), (devices, instance.device_xy)):
        if xy is not None:
            table["x"] = xy[:, 0].tolist()
            table["y"] = xy[:, 1].tolist()
    dev_ids = np.array(instance.device_ids, dtype=object)
    host_ids = np.array(instance.host_ids, dtype=object)
    obj["hosts"] = hosts
    obj["devices"] = devices
    obj["links"] = {
        "device": dev_ids[instance.link_device].tolist(),
        "host": host_ids[instance.link_host].tolist(),
        "cost": nums(instance.link_cost),
    }
    if instance.metadata:
        obj["metadata"] = dict(instance.metadata)
    return obj


def write(instance: Instance, path: Path) -> None:
    write_text_atomic(path, dumps_json(to_obj(instance)))


__all__ = ["FORMAT_TAG", "VERSION", "from_obj", "read", "schema", "sniff", "to_obj", "write"]

