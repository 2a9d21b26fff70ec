"""Inference scenario beside an instance: request rates, link latencies, service rates.

An :class:`~hflopt.Instance` says what HFLOP needs (workloads ``D_i``,
capacities ``R_j``, transfer costs); evaluating inference latency needs a few
more numbers, kept in a :class:`Scenario`:

- per device: its inference **request rate** (requests/s; default the
  workload ``D_i``), its own **capacity** (the rate it can serve itself,
  requests/s; default 0: every request is offloaded) and its network
  **latency to the cloud** (ms);
- per device-host link: the **network latency** of one request over it (ms,
  request and response);
- per host: its **service rate** (requests/s; default the capacity ``R_j``);
- the cloud's **service rate** (requests/s; default infinite: the cloud
  scales out and adds no queueing).

Scenarios are read from and written to JSON (``"format": "hflopt-scenario"``,
validated; every error names the file, the field and the value), and derived
from an instance's coordinates by :func:`scenario_from_instance`.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.instance import Instance

__all__ = ["Scenario", "ScenarioParams", "load_scenario", "save_scenario", "scenario_from_instance"]

log = logging.getLogger(__name__)

SCENARIO_FORMAT = "hflopt-scenario"


def _vector(values: Any, n: int, fld: str, source: str | None, *, allow_inf: bool = False) -> np.ndarray:
    """A float vector of length n from a scalar or a sequence; >= 0, finite unless allowed."""
    if values is None:
        raise InstanceError("is missing", field=fld, source=source)
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InstanceError("must be a number or a list of numbers", field=fld, value=values,
                            source=source) from None
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.ndim != 1 or arr.size != n:
        raise InstanceError(f"must have {n} values", field=fld, value=int(arr.size), source=source)
    bad = np.flatnonzero(np.isnan(arr) | (arr < 0) | (np.isinf(arr) & (not allow_inf)))
    if bad.size:
        k = int(bad[0])
        what = "a number >= 0" if allow_inf else "a finite number >= 0"
        raise InstanceError(f"must be {what}", field=f"{fld}[{k}]", value=float(arr[k]), source=source)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Scenario:
    """Inference data of one instance (arrays in the instance's order).

    Attributes
    ----------
    request_rate:
        ``[N]`` inference requests/s of each device.
    device_capacity:
        ``[N]`` requests/s each device can serve itself.
    link_latency_ms:
        ``[K]`` network latency (ms) of a request over each link, in the
        instance's link order.
    service_rate:
        ``[M]`` requests/s each host serves.
    cloud_latency_ms:
        ``[N]`` network latency (ms) of a request from each device to the cloud.
    cloud_service_rate:
        Requests/s the cloud serves (``inf``: no queueing in the cloud).
    metadata:
        Free-form (how the scenario was made: parameters, seed).
    """

    request_rate: np.ndarray
    device_capacity: np.ndarray
    link_latency_ms: np.ndarray
    service_rate: np.ndarray
    cloud_latency_ms: np.ndarray
    cloud_service_rate: float = math.inf
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        inst: Instance,
        *,
        request_rate: Any = None,
        device_capacity: Any = 0.0,
        link_latency_ms: Any = 5.0,
        service_rate: Any = None,
        cloud_latency_ms: Any = 50.0,
        cloud_service_rate: float = math.inf,
        metadata: dict[str, Any] | None = None,
        source: str | None = None,
    ) -> Scenario:
        """A validated scenario for ``inst``; scalars are broadcast.

        Defaults: request rates = workloads ``D_i``, no own device capacity,
        5 ms per link, host service rates = capacities ``R_j``, 50 ms to the
        cloud, a cloud without queueing.
        """
        n, m, k = inst.n_devices, inst.n_hosts, inst.n_links
        rate = inst.workload if request_rate is None else request_rate
        mu = inst.capacity if service_rate is None else service_rate
        cloud_mu = _vector(cloud_service_rate, 1, "cloud.service_rate", source, allow_inf=True)[0]
        if cloud_mu <= 0:
            raise InstanceError("must be > 0", field="cloud.service_rate", value=float(cloud_mu), source=source)
        return cls(
            _vector(rate, n, "devices.request_rate", source),
            _vector(device_capacity, n, "devices.capacity", source, allow_inf=True),
            _vector(link_latency_ms, k, "links.latency_ms", source),
            _vector(mu, m, "hosts.service_rate", source, allow_inf=True),
            _vector(cloud_latency_ms, n, "devices.cloud_latency_ms", source),
            float(cloud_mu),
            dict(metadata or {}),
        )

    def check(self, inst: Instance, source: str | None = None) -> Scenario:
        """Raise :class:`~hflopt.InstanceError` unless the sizes fit ``inst``."""
        sizes = {
            "devices.request_rate": (self.request_rate.size, inst.n_devices),
            "devices.capacity": (self.device_capacity.size, inst.n_devices),
            "devices.cloud_latency_ms": (self.cloud_latency_ms.size, inst.n_devices),
            "links.latency_ms": (self.link_latency_ms.size, inst.n_links),
            "hosts.service_rate": (self.service_rate.size, inst.n_hosts),
        }
        for name, (have, want) in sizes.items():
            if have != want:
                raise InstanceError(f"has {have} values but the instance needs {want}: not a scenario of this "
                                    "instance", field=name, value=have, source=source)
        return self

    def scaled(self, factor: float) -> Scenario:
        """The same scenario with every request rate times ``factor`` (e.g. 10x the load)."""
        if not math.isfinite(factor) or factor < 0:
            raise InstanceError("must be a finite number >= 0", field="factor", value=factor)
        meta = {**self.metadata, "rate_factor": self.metadata.get("rate_factor", 1.0) * factor}
        return Scenario(_ro(self.request_rate * factor), self.device_capacity, self.link_latency_ms,
                        self.service_rate, self.cloud_latency_ms, self.cloud_service_rate, meta)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (validated again against the array sizes)."""
        fields = {name: getattr(self, name) for name in (
            "request_rate", "device_capacity", "link_latency_ms", "service_rate", "cloud_latency_ms",
            "cloud_service_rate", "metadata")}
        unknown = set(changes) - set(fields)
        if unknown:
            raise TypeError(f"unknown field(s): {', '.join(sorted(unknown))}")
        fields.update(changes)
        sizes = {"request_rate": self.request_rate.size, "device_capacity": self.request_rate.size,
                 "cloud_latency_ms": self.request_rate.size, "link_latency_ms": self.link_latency_ms.size,
                 "service_rate": self.service_rate.size}
        for name, n in sizes.items():
            fields[name] = _vector(fields[name], n, name, None, allow_inf=name in ("device_capacity",
                                                                                  "service_rate"))
        return Scenario(**fields)

    def to_dict(self, inst: Instance) -> dict[str, Any]:
        """The JSON form (ids from ``inst``; infinite rates as ``null``)."""
        self.check(inst)
        return {
            "format": SCENARIO_FORMAT,
            "version": 1,
            "instance": inst.name,
            "devices": {"id": list(inst.device_ids), "request_rate": _nums(self.request_rate),
                        "capacity": _nums(self.device_capacity), "cloud_latency_ms": _nums(self.cloud_latency_ms)},
            "hosts": {"id": list(inst.host_ids), "service_rate": _nums(self.service_rate)},
            "links": {"device": [inst.device_ids[i] for i in inst.link_device],
                      "host": [inst.host_ids[j] for j in inst.link_host],
                      "latency_ms": _nums(self.link_latency_ms)},
            "cloud": {"service_rate": None if math.isinf(self.cloud_service_rate) else self.cloud_service_rate},
            "metadata": self.metadata,
        }


def _ro(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr, dtype=np.float64)
    arr.setflags(write=False)
    return arr


def _nums(arr: np.ndarray) -> list[float | None]:
    return [None if math.isinf(v) else (int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v))
            for v in arr.tolist()]


# ---------------------------------------------------------------- reading
def _section(obj: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    sec = obj.get(name, {})
    if not isinstance(sec, dict):
        raise InstanceError("must be an object", field=name, value=sec, source=source)
    return sec


def _inf_list(values: Any) -> Any:
    """JSON ``null`` in a rate list means infinite."""
    if values is None:
        return math.inf
    if isinstance(values, list):
        return [math.inf if v is None else v for v in values]
    return values


def _ordered(sec: dict[str, Any], key: str, ids: tuple[str, ...], sname: str, source: str) -> Any:
    """Values of ``sec[key]`` in the instance's order, matched by ``sec['id']`` when present."""
    values = sec.get(key)
    if values is None or "id" not in sec or not isinstance(values, list):
        return values
    given = [str(v) for v in sec["id"]] if isinstance(sec["id"], list) else None
    if given is None or len(given) != len(values):
        raise InstanceError(f"must be a list as long as {sname}.{key}", field=f"{sname}.id", value=sec["id"],
                            source=source)
    pos = {d: k for k, d in enumerate(given)}
    missing = [d for d in ids if d not in pos]
    if missing:
        raise InstanceError("lacks an id of the instance: not a scenario of this instance", field=f"{sname}.id",
                            value=missing[0], source=source)
    extra = set(given) - set(ids)
    if extra:
        raise InstanceError("names an id the instance does not have", field=f"{sname}.id",
                            value=sorted(extra)[0], source=source)
    return [values[pos[d]] for d in ids]


def _link_latencies(sec: dict[str, Any], inst: Instance, source: str) -> Any:
    values = sec.get("latency_ms", 5.0)
    if not isinstance(values, list) or "device" not in sec:
        return values
    dev_pos = {d: i for i, d in enumerate(inst.device_ids)}
    host_pos = {h: j for j, h in enumerate(inst.host_ids)}
    devs, hosts = sec.get("device"), sec.get("host")
    if not isinstance(devs, list) or not isinstance(hosts, list) or not len(devs) == len(hosts) == len(values):
        raise InstanceError("links.device, links.host and links.latency_ms must be lists of one length",
                            field="links", source=source)
    out = np.full(inst.n_links, np.nan)
    for k, (d, h) in enumerate(zip(devs, hosts, strict=True)):
        i, j = dev_pos.get(str(d)), host_pos.get(str(h))
        idx = -1 if i is None or j is None else int(inst.link_index(i, j))
        if idx < 0:
            raise InstanceError("is not a link of the instance", field=f"links[{k}]", value=f"{d}->{h}",
                                source=source)
        value = values[k]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise InstanceError("must be a number (milliseconds)", field=f"links.latency_ms[{k}]", value=value,
                                source=source)
        out[idx] = np.nan if value is None else value
    if np.isnan(out).any():
        k = int(np.flatnonzero(np.isnan(out))[0])
        raise InstanceError("has no latency", field=f"links[{inst.device_ids[inst.link_device[k]]}->"
                            f"{inst.host_ids[inst.link_host[k]]}]", source=source)
    return out


def scenario_from_dict(obj: Any, inst: Instance, source: str = "scenario") -> Scenario:
    """Build a :class:`Scenario` for ``inst`` from its JSON form (see :meth:`Scenario.to_dict`).

    Every section and field is optional: omitted values take the defaults of
    :meth:`Scenario.build`; a scalar applies to every device, host or link;
    lists are matched to the instance by the section's ``id`` list when it
    has one, and taken in the instance's order otherwise.
    """
    if not isinstance(obj, dict):
        raise InstanceError("must be a JSON object", field="scenario", source=source)
    if obj.get("format", SCENARIO_FORMAT) != SCENARIO_FORMAT:
        raise InstanceError(f"must be {SCENARIO_FORMAT!r}", field="format", value=obj.get("format"), source=source)
    if obj.get("version", 1) != 1:
        raise InstanceError("unsupported version (this hflopt reads version 1)", field="version",
                            value=obj.get("version"), source=source)
    devices = _section(obj, "devices", source)
    hosts = _section(obj, "hosts", source)
    links = _section(obj, "links", source)
    cloud = _section(obj, "cloud", source)
    return Scenario.build(
        inst,
        request_rate=_ordered(devices, "request_rate", inst.device_ids, "devices", source),
        device_capacity=_inf_list(_ordered(devices, "capacity", inst.device_ids, "devices", source)
                                  if "capacity" in devices else 0.0),
        cloud_latency_ms=_ordered(devices, "cloud_latency_ms", inst.device_ids, "devices", source)
        if "cloud_latency_ms" in devices else cloud.get("latency_ms", 50.0),
        service_rate=_inf_list(_ordered(hosts, "service_rate", inst.host_ids, "hosts", source))
        if "service_rate" in hosts else None,
        link_latency_ms=_link_latencies(links, inst, source),
        cloud_service_rate=_inf_list(cloud.get("service_rate")),
        metadata=obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {},
        source=source,
    )


def load_scenario(path: str | os.PathLike[str], inst: Instance) -> Scenario:
    """Read a scenario file for ``inst`` (JSON, optionally gzip/bzip2/xz-compressed)."""
    from pathlib import Path

    from hflopt.io._common import parse_json, read_text

    source = str(path)
    return scenario_from_dict(parse_json(read_text(Path(path), source), source), inst, source)


def save_scenario(scenario: Scenario, inst: Instance, path: str | os.PathLike[str]) -> None:
    """Write ``scenario`` as JSON (atomically)."""
    from hflopt.io._common import dumps_json, write_text_atomic

    write_text_atomic(path, dumps_json(scenario.to_dict(inst)))


# ---------------------------------------------------------- from coordinates
@dataclass(frozen=True)
class ScenarioParams:
    """How :func:`scenario_from_instance` derives latencies (the METR-LA study's values as defaults).

    Attributes
    ----------
    access_ms:
        ``(low, high)``: each device draws its access latency once,
        ``U(low, high)`` ms (the study: U(0.8, 10)); it is part of every link
        of the device and of its path to the cloud.
    ms_per_km:
        Latency added per km of device-host distance (0.01 ms/km: light in
        fibre, ~5 us/km, over a path twice the straight line).
    far_km, far_ms:
        Links longer than ``far_km`` km reach a *far* host and add
        ``U(far_ms)`` ms, drawn per link (the study: +50-100 ms). The default
        150 km makes every host within a metropolitan area near.
    cloud_ms:
        ``(low, high)``: each device's latency to the cloud beyond its access
        link, ``U(low, high)`` ms (the study's flat FL; 50-100 ms like a far host).
    rate_unit:
        Requests/s per unit of workload and capacity: request rate
        ``D_i * rate_unit``, host service rate ``R_j * rate_unit``.
    device_capacity:
        Own capacity of every device (requests/s) or ``"rate"``: equal to its
        request rate (the study's testbed).
    cloud_service_rate:
        Requests/s of the cloud (``inf``: no queueing).
    seed:
        Seeds the draws.
    """

    access_ms: tuple[float, float] = (0.8, 10.0)
    ms_per_km: float = 0.01
    far_km: float = 150.0
    far_ms: tuple[float, float] = (50.0, 100.0)
    cloud_ms: tuple[float, float] = (50.0, 100.0)
    rate_unit: float = 1.0
    device_capacity: float | str = 0.0
    cloud_service_rate: float = math.inf
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("access_ms", "far_ms", "cloud_ms"):
            low, high = getattr(self, name)
            if not (math.isfinite(low) and math.isfinite(high) and 0 <= low <= high):
                raise InstanceError("must be (low, high) with 0 <= low <= high", field=name,
                                    value=getattr(self, name))
        for name in ("ms_per_km", "far_km", "rate_unit"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
                raise InstanceError("must be a number >= 0", field=name, value=value)
        if isinstance(self.device_capacity, str) and self.device_capacity != "rate":
            raise InstanceError("must be a number >= 0 or 'rate'", field="device_capacity",
                                value=self.device_capacity)


def _link_km(inst: Instance) -> np.ndarray | None:
    """Device-host distance (km) of every link, or None without coordinates."""
    if inst.host_xy is None or inst.device_xy is None:
        return None
    a = inst.device_xy[inst.link_device]
    b = inst.host_xy[inst.link_host]
    if inst.metadata.get("coordinates") == "lonlat" or inst.metadata.get("metric") == "great-circle":
        from hflopt.generators import great_circle_km

        return great_circle_km(a, b)
    return np.hypot(a[:, 0] - b[:, 0], a[:, 1] - b[:, 1])


def scenario_from_instance(inst: Instance, params: ScenarioParams | None = None, **kwargs: Any) -> Scenario:
    """A scenario whose latencies come from the instance's geometry.

    Link latency = the device's access latency ``U(access_ms)`` (drawn once
    per device) + ``ms_per_km`` x distance + ``U(far_ms)`` when the host is
    more than ``far_km`` away; cloud latency = access latency +
    ``U(cloud_ms)`` per device. Request rates and host service rates are the
    workloads and capacities times ``rate_unit``. Distances are great-circle
    km for longitude/latitude instances (METR-LA), Euclidean in the
    coordinates' unit (km for the geometric generators) otherwise; an
    instance without coordinates gets the access latency alone on every link.

    Parameters
    ----------
    inst:
        The instance.
    params:
        A :class:`ScenarioParams`; or give its fields as keyword arguments.
    """
    if params is None:
        params = ScenarioParams(**kwargs)
    elif kwargs:
        raise TypeError("give params or keyword arguments, not both")
    rng = np.random.default_rng(params.seed)
    n = inst.n_devices
    access = rng.uniform(*params.access_ms, size=n)
    cloud = access + rng.uniform(*params.cloud_ms, size=n)
    km = _link_km(inst)
    link = access[inst.link_device].copy()
    if km is None:
        log.info("instance %s has no coordinates: link latency = access latency", inst.name)
    else:
        far = km > params.far_km
        link += params.ms_per_km * km + np.where(far, rng.uniform(*params.far_ms, size=km.size), 0.0)
    rate = inst.workload * params.rate_unit
    own = rate if params.device_capacity == "rate" else float(params.device_capacity)
    meta = {"generator": "scenario_from_instance", **{k: (list(v) if isinstance(v, tuple) else v)
                                                       for k, v in params.__dict__.items()}}
    if math.isinf(params.cloud_service_rate):
        meta["cloud_service_rate"] = None
    return Scenario.build(inst, request_rate=rate, device_capacity=own, link_latency_ms=link,
                          service_rate=inst.capacity * params.rate_unit, cloud_latency_ms=cloud,
                          cloud_service_rate=params.cloud_service_rate, metadata=meta)
