"""The HFLOP instance: hosts, devices, sparse device-host links, T and l.

An :class:`Instance` is immutable and always valid: the constructor converts
its inputs to read-only numpy arrays and runs :meth:`Instance.validate`.
Device-host link costs are stored sparsely as three parallel arrays sorted by
(device, host), so a dense ``N x M`` cost matrix is simply the case
``K = N * M`` and a 10^6-device topology with 20 candidate hosts per device
needs 2*10^7 links, not 10^9 matrix cells.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.limits import MAX_VALUE

__all__ = ["MAX_VALUE", "Instance", "participants_from_ratio"]

_INDEX = np.int32
_RATIO_EPS = 1e-9

#: Objective values up to 2**53 are exact in float64; above it "integral" data no longer
#: lets a bound within 1 of a solution prove it optimal.
_EXACT_INTEGERS = 2.0**53


def participants_from_ratio(ratio: float, n_devices: int) -> int:
    """Return ``T = floor(p * N)``, robust to floating-point error.

    ``0.29 * 100`` is ``28.999999999999996`` in binary floating point; hflopt
    treats it as 29 (a tolerance of 1e-9 relative to N is applied).
    """
    return math.floor(ratio * n_devices + _RATIO_EPS * max(1, n_devices))


def _as_float_vector(values: Any, field: str) -> np.ndarray:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InstanceError("must be a list of numbers", field=field, value=values) from exc
    if arr.ndim != 1:
        raise InstanceError(
            f"must be a one-dimensional list of numbers, got shape {arr.shape}", field=field
        )
    return arr


def _as_index_vector(values: Any, field: str) -> np.ndarray:
    try:
        arr = np.asarray(values)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            as_float = arr.astype(np.float64)
            if not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float)):
                bad = arr[~(np.isfinite(as_float) & (as_float == np.round(as_float)))][0]
                raise InstanceError("must hold integer indices", field=field, value=bad)
            arr = as_float
        arr = arr.astype(np.int64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InstanceError("must hold integer indices", field=field, value=values) from exc
    return arr


def _check_finite_nonneg(arr: np.ndarray, field: str) -> None:
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InstanceError(
            "must be a finite number >= 0", field=f"{field}[{k}]", value=float(arr[k])
        )
    big = arr > MAX_VALUE
    if big.any():
        k = int(np.flatnonzero(big)[0])
        raise InstanceError(_too_large(), field=f"{field}[{k}]", value=float(arr[k]))


def _too_large(what: str = "") -> str:
    return (f"must be at most {MAX_VALUE:g}{what}, hflopt's supported range "
            "(give the data in larger units)")


def _check_text(text: str, field: str) -> None:
    """Strings must be writable as UTF-8 (a lone surrogate is not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InstanceError(
            f"is not valid Unicode text (character {exc.start})", field=field, value=text
        ) from None


def _check_json_value(value: Any, field: str, depth: int = 0) -> None:
    """Metadata must be strict JSON: finite numbers, valid text, bounded nesting."""
    if depth > 32:
        raise InstanceError("is nested too deeply (more than 32 levels)", field=field)
    if isinstance(value, float) and not math.isfinite(value):
        raise InstanceError("must be a finite number (files hold strict JSON)", field=field, value=value)
    if isinstance(value, str):
        _check_text(value, field)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_text(str(key), field)
            _check_json_value(item, f"{field}.{key}", depth + 1)
    elif isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            _check_json_value(item, f"{field}[{k}]", depth + 1)


def _ids(values: Sequence[Any] | None, n: int, field: str) -> tuple[str, ...]:
    if values is None:
        return tuple(str(k) for k in range(n))
    ids = tuple(str(v) for v in values)
    for k, v in enumerate(ids):
        if not v.isascii():
            _check_text(v, f"{field}[{k}]")
    if len(ids) != n:
        raise InstanceError(f"must have {n} entries, got {len(ids)}", field=field)
    if len(set(ids)) != n:
        seen: set[str] = set()
        for v in ids:
            if v in seen:
                raise InstanceError("duplicate id", field=field, value=v)
            seen.add(v)
    return ids


def _coords(values: Any, n: int, field: str) -> np.ndarray | None:
    if values is None:
        return None
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InstanceError("must be pairs of numbers", field=field) from exc
    if arr.shape != (n, 2):
        raise InstanceError(f"must have shape ({n}, 2), got {arr.shape}", field=field)
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InstanceError("must be finite", field=f"{field}[{k}]", value=arr[k].tolist())
    arr.setflags(write=False)
    return arr


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def _memo_array(func: Any) -> property:
    """A read-only array computed from the instance on first use and kept with it."""
    name = func.__name__

    def get(self: Instance) -> np.ndarray:
        memo = self._derived
        if name not in memo:
            memo[name] = _readonly(func(self))
        return memo[name]

    get.__doc__ = func.__doc__
    return property(get)


def _check_shapes(cap: np.ndarray, ecost: np.ndarray, ldev: np.ndarray, lhost: np.ndarray,
                  lcost: np.ndarray, n: int) -> None:
    """At least one host, one cloud cost per host, link arrays alike and naming known nodes."""
    m = cap.size
    if m < 1:
        raise InstanceError("at least one host is needed", field="capacity", value=[])
    if ecost.size != m:
        raise InstanceError(f"must have one entry per host ({m}), got {ecost.size}", field="edge_cost")
    if not (ldev.size == lhost.size == lcost.size):
        raise InstanceError(
            "link_device, link_host and link_cost must have the same length, got "
            f"{ldev.size}, {lhost.size}, {lcost.size}",
            field="links",
        )
    for arr, hi, field in ((ldev, n, "link_device"), (lhost, m, "link_host")):
        bad = (arr < 0) | (arr >= hi)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InstanceError(
                f"names an unknown {'device' if field == 'link_device' else 'host'} (valid: 0..{hi - 1})",
                field=f"{field}[{k}]",
                value=int(arr[k]),
            )


def _sorted_links(ldev: np.ndarray, lhost: np.ndarray, lcost: np.ndarray, m: int,
                  host_names: tuple[str, ...], dev_names: tuple[str, ...]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The links sorted by (device, host); the same pair twice is an error."""
    key = ldev * max(m, 1) + lhost
    if key.size <= 1 or np.all(key[1:] > key[:-1]):
        return ldev, lhost, lcost
    order = np.argsort(key, kind="stable")
    key, ldev, lhost, lcost = key[order], ldev[order], lhost[order], lcost[order]
    dup = np.flatnonzero(key[1:] == key[:-1])
    if dup.size:
        k = int(dup[0])
        raise InstanceError(
            "duplicate link (the same device-host pair twice)",
            field="links",
            value=(dev_names[int(ldev[k])], host_names[int(lhost[k])]),
        )
    return ldev, lhost, lcost


def _ratio(participation_ratio: Any) -> float | None:
    if participation_ratio is None:
        return None
    try:
        p = float(participation_ratio)
    except (TypeError, ValueError) as exc:
        raise InstanceError("must be a number in [0, 1]", field="participation_ratio",
                            value=participation_ratio) from exc
    if not (0.0 <= p <= 1.0):
        raise InstanceError("must be a number in [0, 1]", field="participation_ratio", value=p)
    return p


def _participants(min_participants: Any, p: float | None, n: int) -> int:
    """T: given, or floor(p N) (p = 1 by default); both given must agree."""
    if min_participants is None:
        return participants_from_ratio(1.0 if p is None else p, n)
    if isinstance(min_participants, bool) or not float(min_participants).is_integer():
        raise InstanceError("must be a whole number", field="min_participants", value=min_participants)
    t = int(min_participants)
    if p is not None and participants_from_ratio(p, n) != t:
        raise InstanceError(
            f"contradicts participation_ratio {p} (floor(p * N) = {participants_from_ratio(p, n)} for N = {n})",
            field="min_participants",
            value=t,
        )
    return t


class Instance:
    """An HFLOP instance (immutable, validated on construction).

    Parameters
    ----------
    capacity:
        ``R_j``, inference capacity of each of the M candidate edge hosts.
    edge_cost:
        ``C_e[j]``, cost of one host-cloud transfer.
    workload:
        ``D_i``, inference workload of each of the N devices.
    link_device, link_host, link_cost:
        The K device-host links: device index, host index and cost per
        transfer ``C_d[i][j]``. A device may only report to a host it has a
        link to. Links are stored sorted by (device, host).
    min_participants:
        ``T``, the minimum number of participating devices.
    participation_ratio:
        ``p``; when given (and ``min_participants`` is not),
        ``T = floor(p * N)``. Give one of the two; if neither is given, p = 1.
    rounds_ratio:
        ``l`` >= 1, local aggregation rounds per global round.
    host_ids, device_ids:
        Names of hosts and devices (strings, unique). Default ``"0"``, ``"1"``...
    host_xy, device_xy:
        Optional ``(M, 2)`` and ``(N, 2)`` coordinates (x, y or longitude,
        latitude) used by plots and geometric generators.
    name:
        A label, e.g. the file stem.
    metadata:
        Free-form JSON-serialisable information (seed, generator, ...).
    """

    __slots__ = (
        "__weakref__",
        "_derived",
        "capacity",
        "device_ids",
        "device_xy",
        "edge_cost",
        "host_ids",
        "host_xy",
        "link_cost",
        "link_device",
        "link_host",
        "metadata",
        "min_participants",
        "name",
        "participation_ratio",
        "rounds_ratio",
        "workload",
    )

    capacity: np.ndarray
    edge_cost: np.ndarray
    workload: np.ndarray
    link_device: np.ndarray
    link_host: np.ndarray
    link_cost: np.ndarray
    min_participants: int
    participation_ratio: float | None
    rounds_ratio: float
    host_ids: tuple[str, ...]
    device_ids: tuple[str, ...]
    host_xy: np.ndarray | None
    device_xy: np.ndarray | None
    name: str
    metadata: Mapping[str, Any]

    def __init__(
        self,
        capacity: Iterable[float],
        edge_cost: Iterable[float],
        workload: Iterable[float],
        link_device: Iterable[int],
        link_host: Iterable[int],
        link_cost: Iterable[float],
        *,
        min_participants: int | None = None,
        participation_ratio: float | None = None,
        rounds_ratio: float = 1.0,
        host_ids: Sequence[Any] | None = None,
        device_ids: Sequence[Any] | None = None,
        host_xy: Any = None,
        device_xy: Any = None,
        name: str = "",
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        cap = _as_float_vector(capacity, "capacity")
        ecost = _as_float_vector(edge_cost, "edge_cost")
        work = _as_float_vector(workload, "workload")
        ldev = _as_index_vector(link_device, "link_device")
        lhost = _as_index_vector(link_host, "link_host")
        lcost = _as_float_vector(link_cost, "link_cost")
        m, n = cap.size, work.size
        _check_shapes(cap, ecost, ldev, lhost, lcost, n)
        host_names = _ids(host_ids, m, "host_ids")
        dev_names = _ids(device_ids, n, "device_ids")
        ldev, lhost, lcost = _sorted_links(ldev, lhost, lcost, m, host_names, dev_names)
        try:
            rounds = float(rounds_ratio)
        except (TypeError, ValueError) as exc:
            raise InstanceError(
                "must be a number >= 1", field="rounds_ratio", value=rounds_ratio
            ) from exc
        p = _ratio(participation_ratio)
        t = _participants(min_participants, p, n)
        set_ = object.__setattr__
        set_(self, "_derived", {})
        set_(self, "capacity", _readonly(cap))
        set_(self, "edge_cost", _readonly(ecost))
        set_(self, "workload", _readonly(work))
        set_(self, "link_device", _readonly(ldev.astype(_INDEX)))
        set_(self, "link_host", _readonly(lhost.astype(_INDEX)))
        set_(self, "link_cost", _readonly(lcost))
        set_(self, "min_participants", t)
        set_(self, "participation_ratio", p)
        set_(self, "rounds_ratio", rounds)
        set_(self, "host_ids", host_names)
        set_(self, "device_ids", dev_names)
        set_(self, "host_xy", _coords(host_xy, m, "host_xy"))
        set_(self, "device_xy", _coords(device_xy, n, "device_xy"))
        set_(self, "name", str(name or ""))
        set_(self, "metadata", MappingProxyType(dict(metadata or {})))
        self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self) -> Instance:
        """Check every field; raise :class:`InstanceError` on the first problem.

        Returns the instance itself so that calls can be chained.
        """
        if self.n_hosts < 1:
            raise InstanceError("at least one host is needed", field="capacity", value=[])
        _check_finite_nonneg(self.capacity, "capacity")
        _check_finite_nonneg(self.edge_cost, "edge_cost")
        _check_finite_nonneg(self.workload, "workload")
        _check_finite_nonneg(self.link_cost, "link_cost")
        if not math.isfinite(self.rounds_ratio) or self.rounds_ratio < 1:
            raise InstanceError("must be a number >= 1", field="rounds_ratio", value=self.rounds_ratio)
        if self.rounds_ratio > MAX_VALUE:
            raise InstanceError(_too_large(), field="rounds_ratio", value=self.rounds_ratio)
        if self.n_links:
            k = int(np.argmax(self.link_cost))
            if self.rounds_ratio * float(self.link_cost[k]) > MAX_VALUE:
                raise InstanceError(
                    _too_large(f" once multiplied by l = {self.rounds_ratio:g} (every objective "
                               "coefficient l x link cost is)"),
                    field=f"link_cost[{k}]", value=float(self.link_cost[k]),
                )
        _check_text(self.name, "name")
        _check_json_value(dict(self.metadata), "metadata")
        t, n = self.min_participants, self.n_devices
        if t < 0 or t > n:
            raise InstanceError(
                f"must be between 0 and the number of devices ({n})",
                field="min_participants",
                value=t,
            )
        return self

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_dense(
        cls,
        capacity: Iterable[float],
        edge_cost: Iterable[float],
        workload: Iterable[float],
        costs: Any,
        **kwargs: Any,
    ) -> Instance:
        """Build an instance from a dense ``N x M`` device-host cost matrix.

        Entries equal to ``+inf`` (or ``None``) mean "no link"; NaN and negative
        entries are rejected. Keyword arguments are those of :class:`Instance`.
        """
        try:
            mat = np.array(costs, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InstanceError(
                "must be a matrix of numbers (one row per device)", field="device_costs"
            ) from exc
        work = _as_float_vector(workload, "workload")
        cap = _as_float_vector(capacity, "capacity")
        if mat.size == 0 and work.size == 0:
            mat = mat.reshape(0, cap.size)
        if mat.ndim != 2 or mat.shape != (work.size, cap.size):
            raise InstanceError(
                f"must be a {work.size} x {cap.size} matrix (devices x hosts), "
                f"got shape {mat.shape}",
                field="device_costs",
            )
        bad = np.isnan(mat) | (mat < 0) | (mat == -np.inf)
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            raise InstanceError(
                "must be a finite number >= 0", field=f"device_costs[{i}][{j}]", value=float(mat[i, j])
            )
        dev, host = np.nonzero(np.isfinite(mat))
        return cls(cap, edge_cost, work, dev, host, mat[dev, host], **kwargs)

    @classmethod
    def from_frames(
        cls,
        hosts: Any,
        devices: Any,
        links: Any,
        **kwargs: Any,
    ) -> Instance:
        """Build an instance from three pandas DataFrames.

        ``hosts`` has columns ``id``, ``capacity``, ``cloud_cost`` (alias
        ``edge_cost``); ``devices`` has ``id`` and ``workload``; ``links`` has
        ``device``, ``host`` (ids as in the other two tables) and ``cost``.
        Keyword arguments are those of :class:`Instance`.
        """
        from hflopt.io._tables import instance_from_frames

        return instance_from_frames(cls, hosts, devices, links, **kwargs)

    @classmethod
    def from_graph(cls, G: Any, **kwargs: Any) -> Instance:
        """Build an instance from a networkx graph (shortest-path link costs).

        Keyword arguments (``hosts``, ``devices``, ``cloud``, ``weight``,
        ``capacity``, ``workload``, ``k``, ``cutoff``, ... and those of
        :class:`Instance`) are described in
        :func:`hflopt.io.graphs.instance_from_graph` (:func:`hflopt.io.graph_topology.graph_arguments`
        computes them).
        """
        from hflopt.io.graph_topology import graph_arguments

        return cls(**graph_arguments(G, **kwargs))

    def replace(self, **changes: Any) -> Instance:
        """Return a copy with some constructor arguments changed (validated again).

        Changing ``participation_ratio`` recomputes T unless
        ``min_participants`` is given too.
        """
        args = self._state()
        if "participation_ratio" in changes and "min_participants" not in changes:
            args["min_participants"] = None
        unknown = set(changes) - set(args)
        if unknown:
            raise TypeError(f"unknown field(s): {', '.join(sorted(unknown))}")
        args.update(changes)
        return _rebuild(args)

    def restrict_links(self, keep: np.ndarray) -> Instance:
        """Return a copy keeping only the links where boolean mask ``keep`` is true."""
        keep = np.asarray(keep, dtype=bool)
        return self.replace(
            link_device=self.link_device[keep],
            link_host=self.link_host[keep],
            link_cost=self.link_cost[keep],
        )

    # ------------------------------------------------------------------ sizes
    @property
    def n_hosts(self) -> int:
        """M, the number of candidate edge hosts."""
        return int(self.capacity.size)

    @property
    def n_devices(self) -> int:
        """N, the number of devices."""
        return int(self.workload.size)

    @property
    def n_links(self) -> int:
        """K, the number of device-host links."""
        return int(self.link_cost.size)

    @property
    def is_dense(self) -> bool:
        """True when every device has a link to every host."""
        return self.n_links == self.n_devices * self.n_hosts

    @property
    def has_default_ids(self) -> bool:
        """True when host and device ids are their 0-based positions."""
        return self.host_ids == tuple(map(str, range(self.n_hosts))) and self.device_ids == tuple(
            map(str, range(self.n_devices))
        )

    # -------------------------------------------------------- derived arrays
    @_memo_array
    def link_ptr(self) -> np.ndarray:
        """CSR row pointer: links of device i are ``link_ptr[i]:link_ptr[i+1]``."""
        counts = np.bincount(self.link_device, minlength=self.n_devices)
        ptr = np.zeros(self.n_devices + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return ptr

    @_memo_array
    def device_degree(self) -> np.ndarray:
        """Number of links of each device."""
        return np.diff(self.link_ptr)

    @_memo_array
    def link_key(self) -> np.ndarray:
        """Sorted int64 keys ``device * M + host`` of the links."""
        return self.link_device.astype(np.int64) * self.n_hosts + self.link_host

    def link_index(self, device: Any, host: Any) -> np.ndarray:
        """Index of link (device, host) for each pair, or -1 where there is none."""
        device = np.asarray(device, dtype=np.int64)
        host = np.asarray(host, dtype=np.int64)
        key = device * self.n_hosts + host
        pos = np.searchsorted(self.link_key, key)
        pos_c = np.minimum(pos, max(self.n_links - 1, 0))
        found = (self.n_links > 0) & (pos < self.n_links)
        if self.n_links:
            found = found & (self.link_key[pos_c] == key)
        valid = (device >= 0) & (device < self.n_devices) & (host >= 0) & (host < self.n_hosts)
        return np.where(found & valid, pos_c, -1)

    def dense_costs(self, missing: float = np.inf) -> np.ndarray:
        """The ``N x M`` device-host cost matrix, ``missing`` where there is no link."""
        mat = np.full((self.n_devices, self.n_hosts), missing, dtype=np.float64)
        mat[self.link_device, self.link_host] = self.link_cost
        return mat

    @_memo_array
    def fits(self) -> np.ndarray:
        """Boolean mask over links: the device's workload fits the host's capacity."""
        return self.workload[self.link_device] <= self.capacity[self.link_host]

    @property
    def total_capacity(self) -> float:
        return float(self.capacity.sum())

    @property
    def total_workload(self) -> float:
        return float(self.workload.sum())

    @property
    def is_integral(self) -> bool:
        """True when every objective value is an exact integer (integral costs and l).

        Also requires every objective value to stay below 2**53, where float64
        holds whole numbers exactly (checked with a cheap upper bound).
        """
        return bool(
            float(self.rounds_ratio).is_integer()
            and np.all(self.edge_cost == np.round(self.edge_cost))
            and np.all(self.link_cost == np.round(self.link_cost))
            and self.edge_cost.sum() + self.rounds_ratio * self.link_cost.sum() < _EXACT_INTEGERS
        )

    def describe(self) -> dict[str, Any]:
        """Sizes, totals and tightness as a plain dict (used by ``hflopt info``)."""
        n, m, k = self.n_devices, self.n_hosts, self.n_links
        t = self.min_participants
        smallest = float(np.sort(self.workload)[:t].sum()) if t else 0.0
        return {
            "name": self.name,
            "hosts": m,
            "devices": n,
            "links": k,
            "density": k / (n * m) if n and m else 0.0,
            "links_per_device": k / n if n else 0.0,
            "min_participants": t,
            "participation_ratio": self.participation_ratio,
            "rounds_ratio": self.rounds_ratio,
            "total_capacity": self.total_capacity,
            "total_workload": self.total_workload,
            "capacity_over_workload": (self.total_capacity / self.total_workload)
            if self.total_workload
            else None,  # undefined without workload (strict JSON has no Infinity)
            "capacity_over_T_smallest_workloads": (self.total_capacity / smallest)
            if smallest
            else None,
            "max_workload": float(self.workload.max()) if n else 0.0,
            "max_capacity": float(self.capacity.max()) if m else 0.0,
            "isolated_devices": int(np.count_nonzero(self.device_degree == 0)),
            "integral_costs": self.is_integral,
        }

    # ----------------------------------------------------------- dunder
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Instance is immutable; use replace(...) to change {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Instance is immutable")

    def __eq__(self, other: object) -> bool:
        """Same data: arrays, T, l and ids (name and metadata are not compared)."""
        if not isinstance(other, Instance):
            return NotImplemented
        return (
            self.min_participants == other.min_participants
            and self.rounds_ratio == other.rounds_ratio
            and self.host_ids == other.host_ids
            and self.device_ids == other.device_ids
            and all(
                np.array_equal(getattr(self, f), getattr(other, f))
                for f in ("capacity", "edge_cost", "workload", "link_device", "link_host", "link_cost")
            )
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"Instance({label}hosts={self.n_hosts}, devices={self.n_devices}, "
            f"links={self.n_links}, T={self.min_participants}, l={self.rounds_ratio:g})"
        )

    def __reduce__(self) -> Any:
        return (_rebuild, (self._state(),))

    def _state(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "edge_cost": self.edge_cost,
            "workload": self.workload,
            "link_device": self.link_device,
            "link_host": self.link_host,
            "link_cost": self.link_cost,
            "min_participants": self.min_participants,
            "participation_ratio": self.participation_ratio,
            "rounds_ratio": self.rounds_ratio,
            "host_ids": self.host_ids,
            "device_ids": self.device_ids,
            "host_xy": self.host_xy,
            "device_xy": self.device_xy,
            "name": self.name,
            "metadata": dict(self.metadata),
        }


def _rebuild(state: dict[str, Any]) -> Instance:
    positional = [state.pop(k) for k in ("capacity", "edge_cost", "workload",
                                          "link_device", "link_host", "link_cost")]
    return Instance(*positional, **state)
