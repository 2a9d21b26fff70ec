"""Instance generators.

:func:`random_instance` reproduces the distributions of the LCN 2024 authors'
generator (all draws uniform integers):

- ``R_j ~ U{0..C}``, ``C_e[j] ~ U{cmin..cmax}``, ``D_i ~ U{0..Dmax}``,
- ``C_d[i][j] ~ U{cmin..cmax}``, or in *zero-cost LAN* mode 0 to one random
  host per device and 1 to all others.

Draws come from ``numpy.random.default_rng(seed)``, so the same seed and
parameters always give the same instance (the authors' own tool used a
different random stream; values differ, distributions do not).

:func:`geometric_instance` and :func:`clustered_instance` place hosts and
devices in a 2-D region (uniformly or in Gaussian clusters) and derive link
costs from distances; :func:`instance_from_points` does the same for
coordinates the user already has (planar or longitude/latitude), with optional
k-nearest sparse candidate links built by a KD-tree, so a 1,000-host,
10^6-device, 20-links-per-device topology builds in seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.instance import Instance
from hflopt.limits import MAX_VALUE, check_memory

__all__ = [
    "EARTH_RADIUS_KM",
    "LAYOUTS",
    "METRICS",
    "WORKLOAD_DISTRIBUTIONS",
    "authors_runtime_capacity",
    "capacities_for_tightness",
    "clustered_instance",
    "draw_workloads",
    "geometric_instance",
    "great_circle_km",
    "instance_from_points",
    "random_instance",
]


def authors_runtime_capacity(n_devices: int, n_hosts: int, max_workload: int = 20) -> int:
    """``C = 10 * N * Dmax / M``, the capacity bound of the authors' runtime study."""
    return int(10 * n_devices * max_workload // n_hosts)


#: Counts (hosts, devices, links per device, clusters) are indexed with 32-bit integers.
MAX_COUNT = 2**31 - 1


def _check_int(name: str, value: Any, low: int, high: float = MAX_COUNT) -> int:
    """A whole number in ``[low, high]``, else an InstanceError naming the parameter."""
    try:
        whole = not isinstance(value, bool) and float(value).is_integer()
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole or value < low:
        raise InstanceError(f"must be a whole number >= {low}", field=name, value=value)
    if value > high:
        raise InstanceError(f"must be a whole number <= {high:g}", field=name, value=value)
    return int(value)


def random_instance(
    hosts: int,
    devices: int,
    *,
    participation: float = 1.0,
    rounds: float = 1,
    max_capacity: float = 100,
    max_workload: int = 10,
    min_cost: int = 0,
    max_cost: int = 10,
    zero_cost_lan: bool = False,
    seed: int | None = None,
    name: str | None = None,
) -> Instance:
    """A random HFLOP instance with the authors' distributions.

    Parameters
    ----------
    hosts, devices:
        M and N (authors' flags ``-e`` and ``-d``).
    participation:
        p (``-p``); T = floor(p * N).
    rounds:
        l (``-l``).
    max_capacity:
        C (``-C``, default 100): capacities ``U{0..floor(C)}``. The authors'
        runtime study used ``C = 10 * N * Dmax / M``
        (:func:`authors_runtime_capacity`).
    max_workload:
        Dmax (``-D``, default 10): workloads ``U{0..Dmax}``.
    min_cost, max_cost:
        Cost range for cloud and device links (default 0..10).
    zero_cost_lan:
        Each device costs 0 to one random host and 1 to every other host.
    seed:
        Random seed (``-s``). When omitted a seed is drawn and recorded in
        ``metadata["seed"]`` so the instance can be regenerated.
    """
    m = _check_int("hosts", hosts, 1)
    n = _check_int("devices", devices, 0)
    dmax = _check_int("max_workload", max_workload, 0, MAX_VALUE)
    cmin = _check_int("min_cost", min_cost, 0, MAX_VALUE)
    cmax = _check_int("max_cost", max_cost, cmin, MAX_VALUE)
    cap_max = math.floor(_check_float("max_capacity", max_capacity, 0.0, MAX_VALUE))
    seed = _new_seed(seed)
    check_memory(n + m, float(n) * m, "devices")
    rng = np.random.default_rng(seed)
    capacity = rng.integers(0, cap_max + 1, size=m)
    edge_cost = rng.integers(cmin, cmax + 1, size=m)
    workload = rng.integers(0, dmax + 1, size=n)
    if zero_cost_lan:
        costs = np.ones((n, m), dtype=np.int64)
        costs[np.arange(n), rng.integers(0, m, size=n)] = 0
    else:
        costs = rng.integers(cmin, cmax + 1, size=(n, m))
    meta = {
        "generator": "random",
        "seed": seed,
        "max_capacity": max_capacity,
        "max_workload": dmax,
        "min_cost": cmin,
        "max_cost": cmax,
        "zero_cost_lan": bool(zero_cost_lan),
    }
    dev = np.repeat(np.arange(n), m)
    host = np.tile(np.arange(m), n)
    return Instance(
        capacity,
        edge_cost,
        workload,
        dev,
        host,
        costs.reshape(-1),
        participation_ratio=participation,
        rounds_ratio=rounds,
        name=name or f"random-{m}x{n}-s{seed}",
        metadata=meta,
    )


# ----------------------------------------------------------------------------
# geometric topologies
# ----------------------------------------------------------------------------
#: Mean Earth radius (IUGG) used for great-circle distances.
EARTH_RADIUS_KM = 6371.0088
#: Workload distributions understood by :func:`draw_workloads`.
WORKLOAD_DISTRIBUTIONS = ("constant", "uniform", "lognormal")
#: Point layouts of :func:`geometric_instance`.
LAYOUTS = ("uniform", "clusters")
#: Distance metrics of :func:`instance_from_points`.
METRICS = ("euclidean", "great-circle")
#: Largest number of links built without ``k`` (dense N x M); beyond it ask for ``k``.
MAX_DENSE_LINKS = 50_000_000
_SQRT3 = math.sqrt(3.0)


def _check_float(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    strict: bool = False,
) -> float:
    """A finite float within bounds, else an InstanceError naming the parameter."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InstanceError("must be a number", field=name, value=value) from None
    except OverflowError:  # an integer beyond float64's range
        x = math.inf
    if not math.isfinite(x):
        raise InstanceError("must be a finite number", field=name, value=value)
    if low is not None and (x < low or (strict and x == low)):
        raise InstanceError(f"must be a number {'>' if strict else '>='} {low:g}", field=name, value=value)
    if high is not None and x > high:
        raise InstanceError(f"must be a number <= {high:g}", field=name, value=value)
    return x


def _new_seed(seed: int | None) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**32))
    return _check_int("seed", seed, 0, 2**63 - 1)


def _streams(seed: int, n: int) -> list[np.random.Generator]:
    """Independent random streams derived from one seed (positions, workloads, ...).

    Separate streams keep, e.g., the positions of an instance unchanged when
    only its workload distribution or its tightness changes.
    """
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def _round(values: np.ndarray, decimals: int | None) -> np.ndarray:
    if decimals is None:
        return values
    out = np.round(values, decimals)
    return out + 0.0  # turn -0.0 into 0.0


def _check_decimals(decimals: Any) -> int | None:
    if decimals is None:
        return None
    return _check_int("decimals", decimals, 0)


def draw_workloads(
    n: int,
    distribution: str = "uniform",
    mean: float = 10.0,
    cv: float = 0.5,
    *,
    rng: np.random.Generator | int | None = None,
    decimals: int | None = None,
) -> np.ndarray:
    """Draw ``n`` device workloads (inference requests per second).

    Parameters
    ----------
    n:
        Number of devices.
    distribution:
        ``"constant"`` (every workload equals ``mean``), ``"uniform"``
        (``U(mean - sqrt(3) cv mean, mean + sqrt(3) cv mean)``, needs
        ``cv <= 1/sqrt(3)`` so that workloads stay >= 0) or ``"lognormal"``
        (log-normal with the given mean and coefficient of variation).
    mean:
        Mean workload (>= 0).
    cv:
        Coefficient of variation, standard deviation / mean (>= 0); ignored
        for ``"constant"``.
    rng:
        A numpy Generator or a seed.
    decimals:
        Round workloads to this many decimals (0 gives whole numbers).

    Returns
    -------
    numpy.ndarray
        ``n`` non-negative floats.
    """
    n = _check_int("devices", n, 0)
    mean = _check_float("workload_mean", mean, 0.0, MAX_VALUE)
    cv = _check_float("workload_cv", cv, 0.0)
    decimals = _check_decimals(decimals)
    if distribution not in WORKLOAD_DISTRIBUTIONS:
        raise InstanceError(
            f"unknown workload distribution (choose {', '.join(WORKLOAD_DISTRIBUTIONS)})",
            field="workload", value=distribution,
        )
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if distribution == "constant" or mean == 0.0 or cv == 0.0:
        out = np.full(n, mean, dtype=np.float64)
    elif distribution == "uniform":
        if cv > 1.0 / _SQRT3 + 1e-12:
            raise InstanceError(
                f"must be <= 1/sqrt(3) = {1 / _SQRT3:.4f} for uniform workloads (they would go "
                "negative); use the lognormal distribution for more spread",
                field="workload_cv", value=cv,
            )
        half = _SQRT3 * cv * mean
        out = gen.uniform(mean - half, mean + half, size=n)
        np.maximum(out, 0.0, out=out)
    else:  # lognormal
        sigma2 = math.log1p(cv * cv)
        out = gen.lognormal(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2), size=n)
    return _round(out, decimals)


def capacities_for_tightness(
    total_workload: float,
    n_hosts: int,
    tightness: float,
    *,
    cv: float = 0.0,
    rng: np.random.Generator | int | None = None,
    decimals: int | None = None,
) -> np.ndarray:
    """Host capacities whose sum is ``tightness * total_workload``.

    Parameters
    ----------
    total_workload:
        Sum of the device workloads.
    n_hosts:
        M.
    tightness:
        Total capacity / total workload (> 0). Values below 1 force some
        devices out (useful with participation p < 1); 1.2 to 2 gives
        instances where capacity matters; large values make capacity loose.
    cv:
        Coefficient of variation of the capacities: 0 gives equal hosts,
        otherwise shares are Gamma distributed with mean 1 and this standard
        deviation.
    rng:
        A numpy Generator or a seed (only used when ``cv > 0``).
    decimals:
        Round to this many decimals while keeping the total exact (largest
        remainder rounding), so the tightness is hit up to ``10**-decimals``
        in the total.
    """
    total_workload = _check_float("total_workload", total_workload, 0.0)
    m = _check_int("hosts", n_hosts, 1)
    tightness = _check_float("tightness", tightness, 0.0, strict=True)
    cv = _check_float("capacity_cv", cv, 0.0)
    decimals = _check_decimals(decimals)
    target = tightness * total_workload
    if cv > 0.0:
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        shape = 1.0 / (cv * cv)
        weights = gen.gamma(shape, 1.0 / shape, size=m)
        if not weights.sum() > 0:  # pragma: no cover - only for absurd cv
            weights = np.ones(m)
    else:
        weights = np.ones(m)
    raw = target * weights / weights.sum()
    if decimals is None:
        return raw
    scale = 10.0**decimals
    units = raw * scale
    floor = np.floor(units)
    missing = round(float(target * scale - floor.sum()))
    if missing > 0:
        order = np.argsort(-(units - floor), kind="stable")[: min(missing, m)]
        floor[order] += 1.0
    return floor / scale


def great_circle_km(a: Any, b: Any) -> np.ndarray:
    """Great-circle (haversine) distance in km between (longitude, latitude) points.

    ``a`` and ``b`` are arrays of shape ``(..., 2)`` in degrees, longitude
    first; they broadcast against each other, so
    ``great_circle_km(a[:, None], b[None, :])`` is the full distance matrix.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    lon1, lat1 = np.radians(a[..., 0]), np.radians(a[..., 1])
    lon2, lat2 = np.radians(b[..., 0]), np.radians(b[..., 1])
    h = np.sin((lat2 - lat1) / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _unit_vectors(lonlat: np.ndarray) -> np.ndarray:
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def _dense_distances(host_xy: np.ndarray, device_xy: np.ndarray, metric: str) -> np.ndarray:
    """The N x M distance matrix, built in row blocks to bound temporaries."""
    n, m = device_xy.shape[0], host_xy.shape[0]
    if metric == "euclidean":
        from scipy.spatial.distance import cdist

        return cdist(device_xy, host_xy) if n else np.zeros((0, m))
    out = np.empty((n, m), dtype=np.float64)
    block = max(1, 2_000_000 // max(m, 1))
    for start in range(0, n, block):
        stop = min(n, start + block)
        out[start:stop] = great_circle_km(device_xy[start:stop, None, :], host_xy[None, :, :])
    return out


def _nearest_links(
    host_xy: np.ndarray,
    device_xy: np.ndarray,
    k: int,
    metric: str,
    max_distance: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` nearest hosts of every device via a KD-tree, sorted by (device, host)."""
    from scipy.spatial import cKDTree

    n, m = device_xy.shape[0], host_xy.shape[0]
    if metric == "euclidean":
        tree_pts, query_pts = host_xy, device_xy
        bound = np.inf if max_distance is None else max_distance * (1 + 1e-12)
    else:
        tree_pts, query_pts = _unit_vectors(host_xy), _unit_vectors(device_xy)
        if max_distance is None or max_distance >= math.pi * EARTH_RADIUS_KM:
            bound = np.inf
        else:
            bound = 2.0 * math.sin(max_distance / (2.0 * EARTH_RADIUS_KM)) * (1 + 1e-12)
    dist, idx = cKDTree(tree_pts).query(query_pts, k=k, distance_upper_bound=bound)
    dist = np.asarray(dist).reshape(n, k)
    idx = np.asarray(idx).reshape(n, k).astype(np.int32, copy=False)
    del tree_pts, query_pts
    order = np.argsort(idx, axis=1, kind="stable")
    idx = np.take_along_axis(idx, order, axis=1)
    dist = np.take_along_axis(dist, order, axis=1)
    del order
    if metric != "euclidean":
        dist = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(dist / 2.0, 0.0, 1.0))
    ldev = np.repeat(np.arange(n, dtype=np.int32), k)
    lhost = idx.reshape(-1)
    ldist = dist.reshape(-1)
    valid = lhost < m
    if max_distance is not None:
        valid &= ldist <= max_distance
    if not valid.all():
        ldev, lhost, ldist = ldev[valid], lhost[valid], ldist[valid]
    return ldev, lhost, ldist


def instance_from_points(
    host_xy: Any,
    device_xy: Any,
    *,
    capacity: Any,
    workload: Any,
    cloud_cost: Any = 0.0,
    cost_per_km: float = 1.0,
    hop_cost: float = 0.0,
    k: int | None = None,
    max_distance: float | None = None,
    metric: str = "euclidean",
    decimals: int | None = None,
    **kwargs: Any,
) -> Instance:
    """An instance from host and device coordinates; link cost from distance.

    The cost of the link between device i and host j is
    ``cost_per_km * distance(i, j) + hop_cost``.

    Parameters
    ----------
    host_xy, device_xy:
        ``(M, 2)`` and ``(N, 2)`` coordinates: planar (x, y) in km for
        ``metric="euclidean"``, (longitude, latitude) in degrees for
        ``metric="great-circle"``.
    capacity, workload:
        ``R`` (length M) and ``D`` (length N), or one number for all.
    cloud_cost:
        ``C_e``: one number for every host or one per host.
    cost_per_km, hop_cost:
        Link cost per unit of distance and a constant added per link.
    k:
        Keep only the ``k`` nearest hosts of each device as candidate links
        (sparse; KD-tree, no N x M matrix). ``None`` links every pair.
    max_distance:
        Drop links longer than this (devices may then have no link at all).
    metric:
        ``"euclidean"`` or ``"great-circle"`` (haversine, km).
    decimals:
        Round link costs to this many decimals (0 gives whole numbers, which
        lets exact solvers stop at an absolute gap below 1).
    **kwargs:
        Passed to :class:`~hflopt.Instance` (``participation_ratio``,
        ``rounds_ratio``, ``host_ids``, ``device_ids``, ``name``,
        ``metadata``, ...).
    """
    hxy, dxy = _check_points(host_xy, device_xy)
    m, n = hxy.shape[0], dxy.shape[0]
    if metric not in METRICS:
        raise InstanceError(f"unknown metric (choose {', '.join(METRICS)})", field="metric", value=metric)
    per_km = _check_float("cost_per_km", cost_per_km, 0.0, MAX_VALUE)
    hop = _check_float("hop_cost", hop_cost, 0.0, MAX_VALUE)
    decimals = _check_decimals(decimals)
    if max_distance is not None:
        max_distance = _check_float("max_distance", max_distance, 0.0)
    cap = np.full(m, _check_float("capacity", capacity)) if np.ndim(capacity) == 0 else capacity
    work = np.full(n, _check_float("workload", workload)) if np.ndim(workload) == 0 else workload
    cloud = np.full(m, _check_float("cloud_cost", cloud_cost)) if np.ndim(cloud_cost) == 0 else cloud_cost
    if k is not None:
        k = _check_int("k", k, 1)
    ldev, lhost, ldist = _candidate_links(hxy, dxy, k, metric, max_distance)
    lcost = ldist
    if per_km != 1.0:
        lcost *= per_km
    if hop:
        lcost += hop
    lcost = _round(lcost, decimals)
    meta = dict(kwargs.pop("metadata", None) or {})
    meta.setdefault("coordinates", "lonlat" if metric == "great-circle" else "planar")
    return Instance(
        cap, cloud, work, ldev, lhost, lcost, host_xy=hxy, device_xy=dxy, metadata=meta, **kwargs
    )



def _check_points(host_xy: Any, device_xy: Any) -> tuple[np.ndarray, np.ndarray]:
    """Host and device coordinates as finite ``(count, 2)`` float arrays (at least one host)."""
    hxy = np.array(host_xy, dtype=np.float64)
    dxy = np.array(device_xy, dtype=np.float64)
    for arr, field in ((hxy, "host_xy"), (dxy, "device_xy")):
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise InstanceError(f"must have shape (n, 2), got {arr.shape}", field=field)
        if not np.isfinite(arr).all():
            raise InstanceError("must be finite", field=field)
    if hxy.shape[0] < 1:
        raise InstanceError("at least one host is needed", field="host_xy", value=[])
    return hxy, dxy


def _candidate_links(
    hxy: np.ndarray, dxy: np.ndarray, k: int | None, metric: str, max_distance: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Device, host and distance of every candidate link: all pairs, or the ``k`` nearest hosts."""
    m, n = hxy.shape[0], dxy.shape[0]
    if k is not None or n * m <= MAX_DENSE_LINKS:
        check_memory(n + m, float(n) * (m if k is None else min(k, m)), "devices")
    if k is not None and k < m:
        return _nearest_links(hxy, dxy, k, metric, max_distance)
    if n * m > MAX_DENSE_LINKS:
        raise InstanceError(
            f"{n} devices x {m} hosts = {n * m:,} links is too many for a dense instance; "
            "give k (nearest hosts per device) for a sparse one",
            field="k", value=k,
        )
    dist = _dense_distances(hxy, dxy, metric)
    if max_distance is None:
        ldev = np.repeat(np.arange(n, dtype=np.int32), m)
        lhost = np.tile(np.arange(m, dtype=np.int32), n)
        return ldev, lhost, dist.reshape(-1)
    ldev, lhost = np.nonzero(dist <= max_distance)
    return ldev, lhost, dist[ldev, lhost]


def _place(
    rng: np.random.Generator,
    count: int,
    region: tuple[float, float],
    centres: np.ndarray | None,
    labels: np.ndarray | None,
    std: float,
) -> np.ndarray:
    w, h = region
    if centres is None:
        return rng.uniform((0.0, 0.0), (w, h), size=(count, 2))
    pts = centres[labels] + rng.normal(0.0, std, size=(count, 2))
    np.clip(pts[:, 0], 0.0, w, out=pts[:, 0])
    np.clip(pts[:, 1], 0.0, h, out=pts[:, 1])
    return pts


def geometric_instance(
    hosts: int,
    devices: int,
    *,
    region: tuple[float, float] = (100.0, 100.0),
    layout: str = "uniform",
    clusters: int = 5,
    cluster_std: float = 5.0,
    cost_per_km: float = 1.0,
    hop_cost: float = 0.0,
    cloud_cost: float = 100.0,
    cloud_cv: float = 0.0,
    workload: str = "uniform",
    workload_mean: float = 10.0,
    workload_cv: float = 0.5,
    tightness: float = 1.5,
    capacity_cv: float = 0.0,
    k: int | None = None,
    max_distance: float | None = None,
    decimals: int | None = None,
    participation: float = 1.0,
    rounds: float = 1,
    seed: int | None = None,
    name: str | None = None,
) -> Instance:
    """Hosts and devices placed in a 2-D region; link costs from distances.

    ``hosts``, ``devices``: M and N, placed in ``region`` (width, height in
    km). ``layout="uniform"``: every point uniform in the region;
    ``"clusters"``: ``clusters`` centres uniform in the region (kept
    ``2 * cluster_std`` from its border where possible), each device joins a
    random cluster, host j joins cluster ``j % clusters``, and points are
    Gaussian around their centre (``cluster_std`` per axis), clipped to the
    region. Link cost = ``cost_per_km * distance + hop_cost``; ``k``: each
    device links only to its ``k`` nearest hosts (``None``: every host);
    ``max_distance`` drops longer links. Cloud costs have mean ``cloud_cost``
    and coefficient of variation ``cloud_cv`` (uniform; at most 1/sqrt(3));
    workloads follow :func:`draw_workloads` (``workload``, ``workload_mean``,
    ``workload_cv``), capacities :func:`capacities_for_tightness`
    (``tightness`` = total capacity / total workload, ``capacity_cv``).
    ``decimals`` rounds costs, workloads and capacities (0: whole numbers;
    capacities keep their exact total). ``participation`` and ``rounds``
    are p and l. ``seed`` (drawn and recorded in ``metadata["seed"]`` when
    omitted) seeds separate streams for positions, workloads, capacities and
    cloud costs, so changing, e.g., the tightness keeps the positions.
    ``name`` defaults to ``geometric-MxN-s<seed>``.
    """
    geo = _Geometry.checked(hosts, devices, region, layout, clusters, cluster_std, k)
    cloud_mean = _check_float("cloud_cost", cloud_cost, 0.0, MAX_VALUE)
    cloud_cv = _check_float("cloud_cv", cloud_cv, 0.0, 1.0 / _SQRT3 + 1e-12)
    decimals = _check_decimals(decimals)
    seed = _new_seed(seed)
    rng_pos, rng_work, rng_cap, rng_cloud = _streams(seed, 4)
    host_xy, device_xy, centres = geo.place(rng_pos)
    work = draw_workloads(geo.n, workload, workload_mean, workload_cv, rng=rng_work, decimals=decimals)
    cap = capacities_for_tightness(float(work.sum()), geo.m, tightness, cv=capacity_cv, rng=rng_cap,
                                   decimals=decimals)
    cloud = _cloud_costs(rng_cloud, geo.m, cloud_mean, cloud_cv, decimals)
    meta = geo.metadata(seed, centres)
    meta.update({
        "cost_per_km": float(cost_per_km), "hop_cost": float(hop_cost), "cloud_cost": cloud_mean,
        "cloud_cv": cloud_cv, "workload": workload, "workload_mean": float(workload_mean),
        "workload_cv": float(workload_cv), "tightness": float(tightness), "capacity_cv": float(capacity_cv),
        "k": None if k is None else int(k), "max_distance": None if max_distance is None else float(max_distance),
        "decimals": decimals,
    })
    kind = "clustered" if layout == "clusters" else "geometric"
    return instance_from_points(
        host_xy, device_xy, capacity=cap, workload=work, cloud_cost=cloud, cost_per_km=cost_per_km,
        hop_cost=hop_cost, k=k, max_distance=max_distance, metric="euclidean", decimals=decimals,
        participation_ratio=participation, rounds_ratio=rounds,
        name=name or f"{kind}-{geo.m}x{geo.n}-s{seed}", metadata=meta,
    )


@dataclass(frozen=True)
class _Geometry:
    """Where :func:`geometric_instance` puts its points (checked arguments)."""

    m: int
    n: int
    width: float
    height: float
    layout: str
    clusters: int
    std: float

    @classmethod
    def checked(cls, hosts: Any, devices: Any, region: Any, layout: str, clusters: Any, cluster_std: Any,
                k: Any) -> _Geometry:
        m = _check_int("hosts", hosts, 1)
        n = _check_int("devices", devices, 0)
        try:
            w, h = (float(v) for v in region)
        except (TypeError, ValueError):
            raise InstanceError("must be two numbers (width, height)", field="region", value=region) from None
        w = _check_float("region", w, 0.0, strict=True)
        h = _check_float("region", h, 0.0, strict=True)
        if layout not in LAYOUTS:
            raise InstanceError(f"unknown layout (choose {', '.join(LAYOUTS)})", field="layout", value=layout)
        geo = cls(m, n, w, h, layout, _check_int("clusters", clusters, 1),
                  _check_float("cluster_std", cluster_std, 0.0))
        links = float(n) * (m if k is None else min(_check_int("k", k, 1), m))
        if links <= MAX_DENSE_LINKS or k is not None:  # else instance_from_points asks for k
            check_memory(n + m, links, "devices")
        return geo

    def centres(self, rng: np.random.Generator) -> np.ndarray:
        mx = min(2.0 * self.std, self.width / 4.0)
        my = min(2.0 * self.std, self.height / 4.0)
        return rng.uniform((mx, my), (self.width - mx, self.height - my), size=(self.clusters, 2))

    def place(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Host and device positions, to the millimetre (short, exact files; costs come from them),
        and the cluster centres (``None`` for a uniform layout)."""
        region = (self.width, self.height)
        if self.layout == "clusters":
            centres = self.centres(rng)
            host_lab = np.arange(self.m) % self.clusters
            dev_lab = rng.integers(0, self.clusters, size=self.n)
        else:
            centres = host_lab = dev_lab = None
        host_xy = np.round(_place(rng, self.m, region, centres, host_lab, self.std), 6)
        device_xy = np.round(_place(rng, self.n, region, centres, dev_lab, self.std), 6)
        return host_xy, device_xy, centres

    def metadata(self, seed: int, centres: np.ndarray | None) -> dict[str, Any]:
        meta: dict[str, Any] = {"generator": "geometric", "seed": seed, "layout": self.layout,
                                "region": [self.width, self.height], "units": "km"}
        if centres is not None:
            meta.update({"clusters": self.clusters, "cluster_std": self.std,
                         "cluster_centres": np.round(centres, 6).tolist()})
        return meta


def _cloud_costs(rng: np.random.Generator, m: int, mean: float, cv: float, decimals: int | None) -> np.ndarray:
    """Host-cloud costs: ``mean`` for every host, or uniform with coefficient of variation ``cv``."""
    if cv <= 0:
        return np.full(m, _round(np.array(mean), decimals), dtype=np.float64)
    half = _SQRT3 * cv * mean
    cloud = _round(rng.uniform(mean - half, mean + half, size=m), decimals)
    np.maximum(cloud, 0.0, out=cloud)
    return cloud


def clustered_instance(
    hosts: int,
    devices: int,
    *,
    clusters: int = 5,
    cluster_std: float | None = None,
    region: tuple[float, float] = (100.0, 100.0),
    **kwargs: Any,
) -> Instance:
    """Geometric instance with devices and hosts in Gaussian clusters.

    Shorthand for ``geometric_instance(..., layout="clusters")``;
    ``cluster_std`` defaults to 5% of the region's smaller side. Other
    keyword arguments are those of :func:`geometric_instance`.
    """
    if cluster_std is None:
        try:
            cluster_std = 0.05 * min(float(v) for v in region)
        except (TypeError, ValueError):
            raise InstanceError("must be two numbers (width, height)", field="region", value=region) from None
    return geometric_instance(
        hosts, devices, layout="clusters", clusters=clusters, cluster_std=cluster_std, region=region, **kwargs
    )
