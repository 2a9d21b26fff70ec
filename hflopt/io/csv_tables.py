"""CSV tables in a folder: hosts.csv, devices.csv, links.csv and params.csv.

- ``hosts.csv``: ``id,capacity,cloud_cost`` (optional ``x,y``)
- ``devices.csv``: ``id,workload`` (optional ``x,y``)
- ``links.csv``: ``device,host,cost`` (ids as in the two tables above)
- ``params.csv``: ``parameter,value`` rows ``rounds_ratio`` (l, default 1),
  ``participation_ratio`` (p) or ``min_participants`` (T) (default p = 1),
  and optionally ``name``. The file itself is optional.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hflopt.errors import FormatError, InstanceError
from hflopt.instance import Instance
from hflopt.io._common import csv_frame, csv_header, first_duplicate, num, read_bytes, table_folder
from hflopt.io._tables import instance_from_frames

if TYPE_CHECKING:  # pandas loads when a table is read or written: `import hflopt.io` stays fast
    import pandas as pd

TABLES = ("hosts.csv", "devices.csv", "links.csv")
PARAMS = "params.csv"
_PARAM_NAMES = ("rounds_ratio", "participation_ratio", "min_participants", "name")


def sniff(path: Path) -> bool:
    return path.is_dir() and all((path / t).is_file() for t in TABLES)


def _read_table(path: Path) -> pd.DataFrame:

    source = str(path)
    if not path.is_file():
        raise InstanceError("file is missing", source=source)
    data = read_bytes(path, source)
    frame = csv_frame(data, source)
    names = csv_header(data, source)
    dup = first_duplicate(names)
    if dup is not None:
        raise FormatError("column appears twice in the header (each column once)", field=dup,
                          source=source)
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


#: the instance field each table's rows describe -> that table's file
_TABLE_OF = {"hosts": "hosts.csv", "devices": "devices.csv", "links": "links.csv"}


def _param(raw: dict[str, str], key: str, kind: type, source: str, default: Any = None) -> Any:
    if key not in raw:
        return default
    text = raw[key]
    try:
        value = float(text)
    except ValueError:
        raise FormatError("must be a number", field=key, value=text, source=source) from None
    if kind is int:
        if not value.is_integer():
            raise FormatError("must be a whole number", field=key, value=text, source=source)
        return int(value)
    return value


def read(path: Path, source: str) -> Instance:
    import pandas as pd

    if not path.is_dir():
        raise InstanceError("is not a folder with hosts.csv, devices.csv and links.csv", source=source)
    frames = {table: _read_table(path / table) for table in TABLES}
    params_path = path / PARAMS
    raw = _read_params(params_path) if params_path.is_file() else {}
    psrc = str(params_path)
    try:
        kwargs: dict[str, Any] = {
            "rounds_ratio": _param(raw, "rounds_ratio", float, psrc, default=1.0),
            "participation_ratio": _param(raw, "participation_ratio", float, psrc),
            "min_participants": _param(raw, "min_participants", int, psrc),
            "name": raw.get("name", path.name),
        }
        for table, key in (("hosts.csv", "host_xy"), ("devices.csv", "device_xy")):
            f = frames[table]
            if "x" in f.columns and "y" in f.columns:
                kwargs[key] = np.column_stack(
                    [pd.to_numeric(f["x"], errors="coerce"), pd.to_numeric(f["y"], errors="coerce")]
                )
        return instance_from_frames(
            Instance, frames["hosts.csv"], frames["devices.csv"], frames["links.csv"], **kwargs
        )
    except InstanceError as exc:
        raise _in_table(exc, path, psrc) from None


def _read_params(params_path: Path) -> dict[str, str]:
    """``parameter -> value`` text from params.csv: known names only, each once."""
    pframe = _read_table(params_path)
    if list(pframe.columns[:2]) != ["parameter", "value"]:
        raise FormatError("header must be 'parameter,value'", source=str(params_path))
    raw: dict[str, str] = {}
    for k, row in pframe.iterrows():
        key = str(row["parameter"]).strip()
        if key not in _PARAM_NAMES:
            raise FormatError(
                f"unknown parameter (known: {', '.join(_PARAM_NAMES)})",
                field=f"parameter (row {k + 1})", value=key, source=str(params_path),
            )
        if key in raw:
            raise FormatError("is given twice (each parameter once)",
                              field=f"parameter (row {k + 1})", value=key, source=str(params_path))
        raw[key] = str(row["value"]).strip()
    return raw


def _in_table(exc: InstanceError, path: Path, psrc: str) -> InstanceError:
    """``exc`` about the instance, re-pointed at the CSV file and row it came from."""
    if exc.source:
        return exc
    field = exc.field or ""
    head = field.split(".", 1)[0].split("[", 1)[0]
    if head in _TABLE_OF:
        rest = _row_label(field.split(".", 1)[1] if "." in field else "")
        return type(exc)(exc.message, field=rest or None, value=exc.value, source=str(path / _TABLE_OF[head]))
    if head in ("host_xy", "device_xy"):
        file = str(path / ("hosts.csv" if head == "host_xy" else "devices.csv"))
        return type(exc)(exc.message, field="x/y" + _row_label(field)[len(head):], value=exc.value, source=file)
    if head in ("rounds_ratio", "participation_ratio", "min_participants"):
        return type(exc)(exc.message, field=field, value=exc.value, source=psrc)
    return exc.with_source(str(path))


def _row_label(field: str) -> str:
    """``capacity[3]`` -> ``capacity (data row 4)`` for messages about CSV files."""
    name, sep, rest = field.partition("[")
    if not sep:
        return field
    try:
        k = int(rest.rstrip("]"))
    except ValueError:
        return field
    return f"{name} (data row {k + 1})"


def write(instance: Instance, path: Path) -> None:
    import pandas as pd

    dev_ids = np.array(instance.device_ids, dtype=object)
    host_ids = np.array(instance.host_ids, dtype=object)
    hosts = pd.DataFrame({"id": host_ids, "capacity": instance.capacity, "cloud_cost": instance.edge_cost})
    devices = pd.DataFrame({"id": dev_ids, "workload": instance.workload})
    for frame, xy in ((hosts, instance.host_xy), (devices, instance.device_xy)):
        if xy is not None:
            frame["x"] = xy[:, 0]
            frame["y"] = xy[:, 1]
    links = pd.DataFrame(
        {"device": dev_ids[instance.link_device], "host": host_ids[instance.link_host], "cost": instance.link_cost}
    )
    params = [("rounds_ratio", num(instance.rounds_ratio))]
    if instance.participation_ratio is not None:
        params.append(("participation_ratio", instance.participation_ratio))
    else:
        params.append(("min_participants", instance.min_participants))
    if instance.name:
        params.append(("name", instance.name))
    with table_folder(path) as tmp:
        for frame, name in ((hosts, "hosts.csv"), (devices, "devices.csv"), (links, "links.csv")):
            frame.to_csv(tmp / name, index=False, float_format=_format_float)
        with open(tmp / PARAMS, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["parameter", "value"])
            for key, value in params:
                w.writerow([key, repr(value) if isinstance(value, float) else value])


def _format_float(value: float) -> str:
    """Whole numbers without ``.0``; others in the shortest exact form."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)


__all__ = ["PARAMS", "TABLES", "read", "sniff", "write"]
