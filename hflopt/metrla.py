"""METR-LA: traffic sensors in Los Angeles as FL devices (the paper's use case).

The public METR-LA sensor-locations file (``graph_sensor_locations.csv``,
207 loop detectors; columns ``sensor_id``, ``latitude``, ``longitude``) is not
shipped with hflopt: point the functions below at your own copy.

- :func:`read_sensor_locations` reads it, tolerating the misspelt first
  header cell (``ndex`` instead of ``index``), other index columns, extra
  columns and common aliases (``lat``, ``lon``, ``lng``, ``id``).
- :func:`great_circle_km` gives distances on the sphere.
- :func:`kmeans` (seeded, k-means++ starts, best of ``n_init``) groups
  sensors; :func:`sensor_instance` places M edge sites at the cluster
  centres and builds an instance (sensors are devices; link costs from
  great-circle distance, or the paper's zero-cost LAN).
- :func:`paper_study` rebuilds the LCN 2024 study: 20 sensors (a subset file
  such as ``clusters.dat``) in 4 clusters, one edge host per cluster with
  capacities ``[40, 120, 40, 120]``, zero-cost LAN costs, unit cloud costs,
  ``l = 4``, ``p = 1`` and workloads ``U{0..floor(1.7 * sum(R) / N)}``.

How the paper's clusters came about: the authors' script ran k-means with
k = 4 on the east-west (Web-Mercator x) coordinate of all 207 sensors and
kept 5 sensors of each cluster. :func:`paper_clusters` repeats that
procedure (:func:`kmeans` on longitude, which is an affine function of
Web-Mercator x); 2-D k-means on the 20 chosen sensors alone gives a different
grouping.
"""

from __future__ import annotations

import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hflopt.errors import FormatError, InstanceError
from hflopt.generators import (
    EARTH_RADIUS_KM,
    WORKLOAD_DISTRIBUTIONS,
    _check_float,
    _check_int,
    _streams,
    capacities_for_tightness,
    draw_workloads,
    great_circle_km,
    instance_from_points,
)
from hflopt.instance import Instance
from hflopt.io._common import read_bytes, read_text

__all__ = [
    "PAPER_CAPACITIES",
    "great_circle_km",
    "kmeans",
    "paper_clusters",
    "paper_study",
    "project_km",
    "read_sensor_locations",
    "read_sensor_subset",
    "sensor_instance",
]

#: Edge-host capacities of the paper's 4-cluster study (requests/s).
PAPER_CAPACITIES = (40, 120, 40, 120)

_INDEX_NAMES = {"", "index", "ndex", "idx", "#"}
_ALIASES = {
    "sensor_id": ("sensor_id", "sensor", "id", "station", "station_id", "detector_id"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "lon", "lng", "long"),
}


# ------------------------------------------------------------------ reading
def read_sensor_locations(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a sensor-locations CSV into a DataFrame (``sensor_id``, ``latitude``, ``longitude``).

    Column names are matched case-insensitively with aliases (``lat``,
    ``lon``/``lng``, ``id``/``sensor``); index columns (``index``, the
    misspelt ``ndex``, an unnamed first column) are dropped; extra columns
    are kept as text after the three (e.g. a request-rate column to use as
    workloads). The row order of the file is kept; ``sensor_id`` is a string.

    Raises
    ------
    InstanceError
        Naming the file, the column and the offending value when the file is
        missing, a column is absent, a coordinate is not a number or out of
        range, or a sensor id repeats.
    """
    source = str(path)
    p = Path(path)
    if not p.exists():
        raise InstanceError("no such file", source=source)
    data = read_bytes(p, source)  # bounded by the input size cap
    try:
        raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise FormatError("is empty (a header line is required)", source=source) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"cannot be parsed as CSV: {str(exc).strip().splitlines()[0]}", source=source) from None
    columns = {str(c).strip().lower().lstrip("\ufeff"): c for c in raw.columns}
    picked = _pick_columns(raw, columns, source)
    out = pd.DataFrame({"sensor_id": raw[picked["sensor_id"]].astype(str).str.strip()})
    for col, lo, hi in (("latitude", -90.0, 90.0), ("longitude", -180.0, 180.0)):
        out[col] = _coordinates(raw[picked[col]], col, lo, hi, source)
    _check_sensor_ids(out["sensor_id"], source)
    for key, col in columns.items():
        if col not in picked.values() and key not in _INDEX_NAMES and not key.startswith("unnamed:"):
            out[str(col).strip()] = raw[col].to_numpy()
    return out


def _pick_columns(raw: pd.DataFrame, columns: dict[str, Any], source: str) -> dict[str, Any]:
    """The file's column for each of ``sensor_id``, ``latitude``, ``longitude`` (first alias found)."""
    picked: dict[str, Any] = {}
    for want, aliases in _ALIASES.items():
        found = next((columns[alias] for alias in aliases if alias in columns), None)
        if found is None:
            raise FormatError(
                f"column {want!r} is missing (columns: {', '.join(map(str, raw.columns)) or 'none'})",
                field=want, source=source,
            )
        picked[want] = found
    return picked


def _coordinates(series: pd.Series, col: str, lo: float, hi: float, source: str) -> np.ndarray:
    """A coordinate column as numbers in ``[lo, hi]``."""
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < lo) | (values > hi)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise FormatError(f"must be a number in [{lo:g}, {hi:g}] (data row {k + 1})",
                          field=col, value=series.iloc[k], source=source)
    return values


def _check_sensor_ids(ids: pd.Series, source: str) -> None:
    """Sensor ids are non-empty and unique."""
    empty = ids == ""
    if empty.any():
        k = int(np.flatnonzero(empty.to_numpy())[0])
        raise FormatError(f"is empty (data row {k + 1})", field="sensor_id", source=source)
    dup = ids.duplicated()
    if dup.any():
        k = int(np.flatnonzero(dup.to_numpy())[0])
        raise FormatError(f"repeats (data row {k + 1})", field="sensor_id", value=ids.iloc[k], source=source)


_POINT = re.compile(r"POINT\s*\([^)]*\)", re.IGNORECASE)


def read_sensor_subset(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a sensor subset file such as the paper's ``clusters.dat``.

    Whitespace-separated lines ``sensor_id index latitude longitude
    POINT (x y) cluster`` (the ``POINT`` part is optional), or just one
    sensor id per line. Returns a DataFrame with ``sensor_id`` (str) and,
    when present, ``index``, ``latitude``, ``longitude`` and ``cluster``
    (int). Blank lines and ``#`` comments are skipped.
    """
    source = str(path)
    p = Path(path)
    if not p.exists():
        raise InstanceError("no such file", source=source)
    text = read_text(p, source)  # bounded by the input size cap
    rows: list[dict[str, Any]] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = _POINT.sub(" ", raw.split("#", 1)[0]).strip()
        if not line:
            continue
        tok = line.replace(",", " ").split()
        row: dict[str, Any] = {"sensor_id": tok[0]}
        if len(tok) == 1:
            rows.append(row)
            continue
        if len(tok) < 4:
            raise FormatError(
                f"line {lineno}: expected 'sensor_id index latitude longitude [POINT (x y)] cluster' "
                "or one sensor id",
                source=source,
            )
        try:
            row["index"] = int(tok[1])
            row["latitude"] = float(tok[2])
            row["longitude"] = float(tok[3])
            if len(tok) >= 5:
                row["cluster"] = int(tok[-1])
        except ValueError:
            raise FormatError(f"line {lineno}: not a number in {raw.strip()!r}", source=source) from None
        if not (-90 <= row["latitude"] <= 90 and -180 <= row["longitude"] <= 180):
            raise FormatError(f"line {lineno}: coordinates out of range", value=raw.strip(), source=source)
        rows.append(row)
    if not rows:
        raise FormatError("lists no sensors", source=source)
    frame = pd.DataFrame(rows)
    shapes = {len(r) for r in rows}
    if len(shapes) > 1:
        raise FormatError("mixes lines with and without coordinates/clusters", source=source)
    dup = frame["sensor_id"].duplicated()
    if dup.any():
        k = int(np.flatnonzero(dup.to_numpy())[0])
        raise FormatError("repeats", field="sensor_id", value=frame["sensor_id"].iloc[k], source=source)
    return frame


# ------------------------------------------------------------ geometry/kmeans
def project_km(lonlat: Any, origin: tuple[float, float] | None = None) -> np.ndarray:
    """Local equirectangular projection of (longitude, latitude) degrees to km.

    Accurate to well under 1% over a city; used for clustering. ``origin``
    (longitude, latitude) defaults to the mean of the points.
    """
    pts = np.asarray(lonlat, dtype=np.float64).reshape(-1, 2)
    lon0, lat0 = (pts.mean(axis=0) if origin is None else np.asarray(origin, dtype=np.float64))
    scale = math.radians(1.0) * EARTH_RADIUS_KM
    return np.column_stack([(pts[:, 0] - lon0) * scale * math.cos(math.radians(lat0)), (pts[:, 1] - lat0) * scale])


def kmeans(
    points: Any,
    k: int,
    *,
    seed: int = 0,
    n_init: int = 10,
    max_iter: int = 300,
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded k-means (Lloyd's algorithm, scipy ``kmeans2`` with k-means++ starts).

    Runs ``n_init`` starts from one seeded stream, keeps the lowest sum of
    squared distances among the runs without empty clusters, and numbers
    the clusters by their centres (ascending first coordinate, then second)
    so that labels do not depend on the start.

    Parameters
    ----------
    points:
        ``(n, d)`` array (a 1-D array is one coordinate per point).
    k:
        Number of clusters, at most the number of distinct points.

    Returns
    -------
    (centres, labels)
        ``(k, d)`` centres and ``n`` labels in ``0..k-1``.
    """
    from scipy.cluster.vq import ClusterError, kmeans2, vq

    data = np.asarray(points, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    k = _check_int("k", k, 1)
    n_init = _check_int("n_init", n_init, 1)
    distinct = np.unique(data, axis=0).shape[0] if data.size else 0
    if k > distinct:
        raise InstanceError(f"must be at most the number of distinct points ({distinct})", field="sites", value=k)
    rng = np.random.default_rng(seed)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(n_init):
        try:
            centres, labels = kmeans2(data, k, iter=max_iter, minit="++", missing="raise", seed=rng)
        except ClusterError:
            continue
        # kmeans2 returns the centres of its last update: reassign once more
        labels = vq(data, centres, check_finite=False)[0]
        if np.unique(labels).size < k:
            continue
        centres = np.vstack([data[labels == c].mean(axis=0) for c in range(k)])
        inertia = float(((data - centres[labels]) ** 2).sum())
        if best is None or inertia < best[0] - 1e-9 * max(1.0, abs(inertia)):
            best = (inertia, centres, labels)
    if best is None:  # pragma: no cover - needs pathological data
        raise InstanceError("k-means left a cluster empty in every start; try another seed", field="sites", value=k)
    _, centres, labels = best
    order = np.lexsort(centres.T[::-1])
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return centres[order], rank[labels]


def _cluster_lonlat(lonlat: np.ndarray, k: int, seed: int, by: str) -> tuple[np.ndarray, np.ndarray]:
    """k-means on sensors; returns (site lon/lat, labels)."""
    if by not in ("position", "longitude"):
        raise InstanceError("must be 'position' or 'longitude'", field="cluster_by", value=by)
    xy = project_km(lonlat)
    _, labels = kmeans(xy[:, :1] if by == "longitude" else xy, k, seed=seed)
    sites = np.vstack([lonlat[labels == c].mean(axis=0) for c in range(k)])
    return sites, labels


def _frame(locations: Any) -> pd.DataFrame:
    if isinstance(locations, pd.DataFrame):
        return locations
    return read_sensor_locations(locations)


def _subset(frame: pd.DataFrame, sensors: Any, source: str = "sensors") -> pd.DataFrame:
    if sensors is None:
        return frame
    if isinstance(sensors, (str, os.PathLike)):
        ids = read_sensor_subset(sensors)["sensor_id"].tolist()
    elif isinstance(sensors, pd.DataFrame):
        ids = sensors["sensor_id"].astype(str).tolist()
    else:
        ids = [str(s) for s in sensors]
    pos = pd.Index(frame["sensor_id"]).get_indexer(ids)
    if (pos < 0).any():
        k = int(np.flatnonzero(pos < 0)[0])
        raise InstanceError("sensor is not in the locations file", field=source, value=ids[k])
    return frame.iloc[pos].reset_index(drop=True)


def _workloads(spec: Any, frame: pd.DataFrame, rng: np.random.Generator, mean: float, cv: float,
               decimals: int | None) -> np.ndarray:
    n = len(frame)
    if isinstance(spec, str) and spec in WORKLOAD_DISTRIBUTIONS:
        return draw_workloads(n, spec, mean, cv, rng=rng, decimals=decimals)
    if isinstance(spec, str):
        if spec not in frame.columns:
            raise InstanceError(
                f"is neither a distribution ({', '.join(WORKLOAD_DISTRIBUTIONS)}) nor a column",
                field="workload", value=spec,
            )
        values = pd.to_numeric(frame[spec], errors="coerce").to_numpy(dtype=np.float64)
    elif isinstance(spec, Mapping):
        missing = [s for s in frame["sensor_id"] if s not in spec]
        if missing:
            raise InstanceError("no workload given for sensor", field="workload", value=missing[0])
        values = np.array([float(spec[s]) for s in frame["sensor_id"]])
    elif np.ndim(spec) == 0:
        values = np.full(n, _check_float("workload", spec, 0.0))
    else:
        values = np.asarray(spec, dtype=np.float64)
        if values.shape != (n,):
            raise InstanceError(f"must have one value per sensor ({n})", field="workload")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InstanceError("must be a number >= 0", field=f"workload of sensor {frame['sensor_id'].iloc[k]}",
                            value=float(values[k]))
    return values


def _lan_links(labels: np.ndarray, m: int, own: float, other: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = labels.size
    dev = np.repeat(np.arange(n), m)
    host = np.tile(np.arange(m), n)
    cost = np.where(host == labels[dev], own, other).astype(np.float64)
    return dev, host, cost


# ---------------------------------------------------------------- instances
def sensor_instance(
    locations: Any,
    sites: int,
    *,
    sensors: Any = None,
    cluster_by: str = "position",
    link_costs: str = "distance",
    cost_per_km: float = 1.0,
    hop_cost: float = 0.0,
    lan_costs: tuple[float, float] = (0.0, 1.0),
    cloud_cost: float = 1.0,
    capacities: Sequence[float] | None = None,
    tightness: float = 1.5,
    workload: Any = "uniform",
    workload_mean: float = 10.0,
    workload_cv: float = 0.5,
    k: int | None = None,
    decimals: int | None = None,
    participation: float = 1.0,
    rounds: float = 1,
    seed: int = 0,
    name: str | None = None,
) -> Instance:
    """An instance with sensors as devices and k-means edge sites as hosts.

    Parameters
    ----------
    locations:
        Path of a sensor-locations CSV, or a DataFrame from :func:`read_sensor_locations`.
    sites:
        M, the number of edge sites, placed at the centres of a seeded k-means clustering of the sensors.
    sensors:
        Optional subset: a list of sensor ids, or the path of a subset file (:func:`read_sensor_subset`).
    cluster_by:
        ``"position"`` (2-D, locally projected km) or ``"longitude"`` (east-west only, the paper's procedure).
    link_costs:
        ``"distance"``: ``cost_per_km * great-circle km + hop_cost``;
        ``"lan"``: ``lan_costs[0]`` to the sensor's own site, ``lan_costs[1]``
        to every other site (the paper's zero-cost LAN is ``(0, 1)``).
    cloud_cost:
        ``C_e`` of every site.
    capacities:
        One capacity per site (in site order: clusters are numbered west to
        east); default: equal shares of ``tightness * total workload``.
    workload:
        A distribution name (``constant``, ``uniform``, ``lognormal``, drawn
        with ``workload_mean`` and ``workload_cv``), a column of the
        locations table, a number, a mapping sensor id -> workload, or a list
        in sensor order.
    k:
        With distance costs: only the k nearest sites of each sensor.
    decimals:
        Round costs, drawn workloads and derived capacities.
    participation, rounds:
        p and l.
    seed:
        Seeds the k-means starts and drawn workloads.
    """
    frame = _subset(_frame(locations), sensors)
    n = len(frame)
    m, seed = _check_sensor_args(sites, seed, link_costs)
    lonlat = frame[["longitude", "latitude"]].to_numpy(dtype=np.float64)
    site_xy, labels = _cluster_lonlat(lonlat, m, seed, cluster_by)
    rng_work, rng_cap = _streams(seed, 2)
    work = _workloads(workload, frame, rng_work, workload_mean, workload_cv, decimals)
    cap = _site_capacities(capacities, m, float(work.sum()), tightness, rng_cap, decimals)
    meta = {"generator": "metr-la", "seed": seed, "sites": m, "cluster_by": cluster_by, "link_costs": link_costs,
            "site_of_sensor": labels.tolist()}
    kwargs = _instance_kwargs(participation, rounds, "site", m, frame, name or f"metr-la-{m}x{n}")
    if link_costs == "lan":
        meta["coordinates"] = "lonlat"
        dev, host, cost = _lan_links(labels, m, *(_check_float("lan_costs", v, 0.0) for v in lan_costs))
        return Instance(cap, np.full(m, _check_float("cloud_cost", cloud_cost, 0.0)), work, dev, host, cost,
                        host_xy=site_xy, device_xy=lonlat, metadata=meta, **kwargs)
    meta.update({"cost_per_km": float(cost_per_km), "hop_cost": float(hop_cost)})
    return instance_from_points(
        site_xy, lonlat, capacity=cap, workload=work, cloud_cost=cloud_cost, cost_per_km=cost_per_km,
        hop_cost=hop_cost, k=k, metric="great-circle", decimals=decimals, metadata=meta, **kwargs,
    )


def _check_sensor_args(sites: Any, seed: Any, link_costs: str) -> tuple[int, int]:
    """The checked site count and seed; ``link_costs`` must be ``distance`` or ``lan``."""
    if link_costs not in ("distance", "lan"):
        raise InstanceError("must be 'distance' or 'lan'", field="link_costs", value=link_costs)
    return _check_int("sites", sites, 1), _check_int("seed", seed, 0)


def _site_capacities(capacities: Sequence[float] | None, m: int, total_work: float, tightness: float,
                     rng: np.random.Generator, decimals: int | None) -> np.ndarray:
    """The given capacity of every site, or equal shares of ``tightness`` times the total workload."""
    if capacities is None:
        return capacities_for_tightness(total_work, m, tightness, rng=rng, decimals=decimals)
    cap = np.asarray(capacities, dtype=np.float64)
    if cap.shape != (m,):
        raise InstanceError(f"must have one value per site ({m})", field="capacities", value=list(capacities))
    return cap


def _instance_kwargs(participation: float, rounds: float, host_prefix: str, m: int, frame: pd.DataFrame,
                     name: str) -> dict[str, Any]:
    """The :class:`~hflopt.Instance` keywords shared by the METR-LA builders."""
    return {
        "participation_ratio": participation,
        "rounds_ratio": rounds,
        "host_ids": [f"{host_prefix}{j}" for j in range(m)],
        "device_ids": frame["sensor_id"].tolist(),
        "name": name,
    }


def paper_clusters(locations: Any, sensors: Any = None, *, k: int = 4, seed: int = 0) -> np.ndarray:
    """The paper's clustering: k-means on the east-west coordinate of all sensors.

    Clusters every sensor of ``locations`` by longitude (k = 4 in the
    paper) and returns the labels of ``sensors`` (ids or a subset file;
    default all sensors), numbered west to east.
    """
    frame = _frame(locations)
    lonlat = frame[["longitude", "latitude"]].to_numpy(dtype=np.float64)
    _, labels = _cluster_lonlat(lonlat, k, seed, "longitude")
    if sensors is None:
        return labels
    pos = pd.Index(frame["sensor_id"]).get_indexer(_subset(frame, sensors)["sensor_id"])
    return labels[pos]


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def paper_study(
    subset: Any,
    *,
    locations: Any = None,
    capacities: Sequence[float] = PAPER_CAPACITIES,
    link_costs: str = "lan",
    cost_per_km: float = 1.0,
    max_workload: int | None = None,
    participation: float = 1.0,
    rounds: float = 4,
    seed: int = 0,
    name: str = "metr-la-study",
) -> Instance:
    """Rebuild the paper's 20-sensor, 4-cluster METR-LA study.

    Parameters
    ----------
    subset:
        The study's sensor file (``clusters.dat``: id, index, latitude,
        longitude, projected point, cluster) or an equivalent DataFrame. Its
        cluster column decides which edge host serves which sensors; host j
        sits at the centre of cluster j and has capacity ``capacities[j]``.
    locations:
        Optional sensor-locations CSV (or DataFrame). When given, sensor
        coordinates are taken from it and the clusters are recomputed with
        the paper's procedure (:func:`paper_clusters`);
        ``metadata["clusters_reproduced"]`` records whether they equal the
        file's (up to numbering).
    capacities:
        Host capacities, one per cluster (default ``[40, 120, 40, 120]``).
    link_costs:
        ``"lan"`` (the paper: 0 to the own cluster's host, 1 to the others)
        or ``"distance"`` (great-circle km times ``cost_per_km``).
    max_workload:
        Workloads are ``U{0..max_workload}``; default, as in the authors'
        study, ``floor(1.7 * sum(capacities) / N)``.
    participation, rounds:
        p (default 1) and l (default 4), as in the study.
    seed:
        Seeds the workloads (the authors used the time of day).
    """
    if link_costs not in ("lan", "distance"):
        raise InstanceError("must be 'lan' or 'distance'", field="link_costs", value=link_costs)
    frame, source, loc = _study_frame(subset, locations)
    seed = _check_int("seed", seed, 0)
    caps = np.asarray(capacities, dtype=np.float64)
    m = caps.size
    meta: dict[str, Any] = {"generator": "metr-la-study", "seed": seed, "source": Path(source).name,
                            "link_costs": link_costs, "coordinates": "lonlat"}
    labels = _study_labels(frame, loc, m, seed, source, meta)
    if np.unique(labels).size != m:
        raise InstanceError(f"the sensors fall into fewer than {m} clusters", field="cluster", source=source)
    lonlat = frame[["longitude", "latitude"]].to_numpy(dtype=np.float64)
    n = len(frame)
    dmax = math.floor(1.7 * float(caps.sum()) / n) if max_workload is None else _check_int(
        "max_workload", max_workload, 0)
    rng = np.random.default_rng(seed)
    work = rng.integers(0, dmax + 1, size=n)
    site_xy = np.vstack([lonlat[labels == c].mean(axis=0) for c in range(m)])
    meta.update({"max_workload": dmax, "cluster_of_sensor": labels.tolist()})
    kwargs = _instance_kwargs(participation, rounds, "cluster", m, frame, name)
    if link_costs == "lan":
        dev, host, cost = _lan_links(labels, m, 0.0, 1.0)
        return Instance(caps, np.ones(m), work, dev, host, cost, host_xy=site_xy, device_xy=lonlat,
                        metadata=meta, **kwargs)
    meta["cost_per_km"] = float(cost_per_km)
    return instance_from_points(site_xy, lonlat, capacity=caps, workload=work, cloud_cost=1.0,
                                cost_per_km=cost_per_km, metric="great-circle", metadata=meta, **kwargs)


def _study_frame(subset: Any, locations: Any) -> tuple[pd.DataFrame, str, pd.DataFrame | None]:
    """The study's sensors (coordinates from ``locations`` when given), its source name and the locations."""
    if isinstance(subset, pd.DataFrame):
        frame = subset.copy()
        source = "subset"
    else:
        frame = read_sensor_subset(subset)
        source = str(subset)
    frame["sensor_id"] = frame["sensor_id"].astype(str)
    loc = None
    if locations is not None:
        loc = _frame(locations)
        coords = _subset(loc, frame["sensor_id"].tolist())
        frame["longitude"] = coords["longitude"].to_numpy()
        frame["latitude"] = coords["latitude"].to_numpy()
    if "longitude" not in frame.columns:
        raise InstanceError(
            "has no coordinates; give locations= (the sensor-locations CSV)", field="subset", source=source
        )
    return frame, source, loc


def _study_labels(frame: pd.DataFrame, loc: pd.DataFrame | None, m: int, seed: int, source: str,
                  meta: dict[str, Any]) -> np.ndarray:
    """Cluster (host) of every sensor: the file's column, else the paper's procedure, else k-means.

    With both the column and the locations, records in ``meta`` whether the
    paper's procedure reproduces the file's clusters.
    """
    if "cluster" in frame.columns:
        labels_raw = frame["cluster"].to_numpy(dtype=np.int64)
        uniq = np.unique(labels_raw)
        if uniq.size != m:
            raise InstanceError(
                f"has {uniq.size} clusters but {m} capacities were given", field="cluster", source=source,
                value=uniq.tolist(),
            )
        labels = np.searchsorted(uniq, labels_raw)
        if loc is not None:
            again = paper_clusters(loc, frame["sensor_id"].tolist(), k=m, seed=seed)
            meta["clusters_reproduced"] = _same_partition(labels, again)
        return labels
    if loc is not None:
        return paper_clusters(loc, frame["sensor_id"].tolist(), k=m, seed=seed)
    lonlat = frame[["longitude", "latitude"]].to_numpy(dtype=np.float64)
    return _cluster_lonlat(lonlat, m, seed, "position")[1]
