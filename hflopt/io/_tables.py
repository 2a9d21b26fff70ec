"""Build an Instance from id-keyed tables (DataFrames or columns)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hflopt.errors import InstanceError

if TYPE_CHECKING:  # pandas loads on first use: `hflopt info` and `--help` stay fast
    import pandas as pd


#: up to this many links, ids are matched with a dict and pandas is not imported (small
#: files load fast: `hflopt info`); beyond it pandas' hash tables are faster
_DICT_MAX_LINKS = 200_000


def _ids(values: Any) -> list[str]:
    return [str(v) for v in values]


def _column(frame: pd.DataFrame, names: tuple[str, ...], table: str) -> pd.Series:
    for name in names:
        if name in frame.columns:
            return frame[name]
    raise InstanceError(
        f"column {names[0]!r} is missing (columns: {', '.join(map(str, frame.columns)) or 'none'})",
        field=table,
    )


def _numbers(series: pd.Series, field: str) -> np.ndarray:
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & ~_is_nan_text(series)
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise InstanceError("must be a number", field=f"{field}[{k}]", value=series.iloc[k])
    return values.to_numpy(dtype=np.float64)


def _is_nan_text(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip().str.lower().isin({"nan", "inf", "-inf", "infinity"})


def _check_unique(keys: list[str], field: str) -> None:
    if len(set(keys)) == len(keys):
        return
    seen: set[str] = set()
    for k, key in enumerate(keys):
        if key in seen:
            raise InstanceError("duplicate id", field=f"{field}[{k}]", value=key)
        seen.add(key)


def _positions(keys: list[str], ids: Any, field: str, kind: str) -> np.ndarray:
    """Position in ``keys`` of every id in ``ids``; an InstanceError naming the first unknown one."""
    wanted = _ids(ids)
    if len(wanted) <= _DICT_MAX_LINKS:
        index = {key: k for k, key in enumerate(keys)}
        pos = np.fromiter((index.get(v, -1) for v in wanted), dtype=np.intp, count=len(wanted))
    else:
        import pandas as pd

        pos = pd.Index(keys, dtype=object).get_indexer(pd.Index(wanted, dtype=object))
    if (pos < 0).any():
        k = int(np.flatnonzero(pos < 0)[0])
        raise InstanceError(f"unknown {kind} id", field=f"{field}[{k}]", value=wanted[k])
    return pos


def instance_from_columns(
    cls: type,
    *,
    host_ids: Any,
    capacity: Any,
    edge_cost: Any,
    device_ids: Any,
    workload: Any,
    link_device: Any,
    link_host: Any,
    link_cost: Any,
    fields: dict[str, str] | None = None,
    **kwargs: Any,
) -> Any:
    """Map id-keyed columns to positions and build ``cls``.

    ``fields`` names the columns as the caller's file does (for messages):
    keys ``host_ids``, ``device_ids``, ``link_device``, ``link_host``.
    """
    names = {"host_ids": "host_ids", "device_ids": "device_ids",
             "link_device": "link_device", "link_host": "link_host"}
    names.update(fields or {})
    hosts = _ids(host_ids)
    devices = _ids(device_ids)
    _check_unique(hosts, names["host_ids"])
    _check_unique(devices, names["device_ids"])
    ldev = _positions(devices, link_device, names["link_device"], "device")
    lhost = _positions(hosts, link_host, names["link_host"], "host")
    return cls(
        capacity,
        edge_cost,
        workload,
        ldev,
        lhost,
        link_cost,
        host_ids=hosts,
        device_ids=devices,
        **kwargs,
    )


def instance_from_frames(
    cls: type, hosts: pd.DataFrame, devices: pd.DataFrame, links: pd.DataFrame, **kwargs: Any
) -> Any:
    """See :meth:`hflopt.Instance.from_frames`."""
    h_id = _column(hosts, ("id", "host"), "hosts")
    d_id = _column(devices, ("id", "device"), "devices")
    return instance_from_columns(
        cls,
        host_ids=h_id,
        capacity=_numbers(_column(hosts, ("capacity",), "hosts"), "hosts.capacity"),
        edge_cost=_numbers(_column(hosts, ("cloud_cost", "edge_cost"), "hosts"), "hosts.cloud_cost"),
        device_ids=d_id,
        workload=_numbers(_column(devices, ("workload",), "devices"), "devices.workload"),
        link_device=_column(links, ("device",), "links"),
        link_host=_column(links, ("host",), "links"),
        link_cost=_numbers(_column(links, ("cost",), "links"), "links.cost"),
        fields={"host_ids": "hosts.id", "device_ids": "devices.id",
                "link_device": "links.device", "link_host": "links.host"},
        **kwargs,
    )
