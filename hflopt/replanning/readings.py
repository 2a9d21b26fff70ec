"""Workloads from time-stamped sensor readings (e.g. METR-LA's traffic speeds).

METR-LA publishes one speed reading (mph) per loop detector every five
minutes (``metr-la.h5``: a pandas table, time-stamped rows, one column per
sensor id; 0 where a detector had no reading). hflopt does not ship it;
convert your copy once with ``pandas.read_hdf("metr-la.h5").to_csv("speeds.csv")``
and read it with :func:`read_readings`.

:func:`workloads_from_readings` turns readings into a device x period table
for an instance whose device ids are the sensor ids (``hflopt generate
metr-la``): readings are averaged per period (``"1h"``), optionally folded
into one typical day (the mean of each time of day over all days), turned
into a signal in [0, 1] and scaled so that each device's busiest period
carries its workload in the instance. The default signal is *congestion*,
``1 - speed / free-flow speed`` (free flow: the sensor's 95th percentile),
on the reading that slow traffic means many vehicles, hence many inference
requests from the road's sensors and cars; ``"value"`` uses the readings as
they are (counts, request logs).
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hflopt.errors import FormatError, InstanceError
from hflopt.instance import Instance
from hflopt.replanning.workloads import MAX_PERIODS, Workloads

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ReadingsParams", "read_readings", "workloads_from_readings"]

_TIME_COLS = ("timestamp", "time", "datetime", "date", "")


@dataclass(frozen=True)
class ReadingsParams:
    """How :func:`workloads_from_readings` aggregates readings.

    Attributes
    ----------
    period:
        Length of a period, a pandas offset (``"1h"``, ``"15min"``).
    typical_day:
        Fold all days into one: the mean of each time of day (24 periods for ``"1h"``).
    signal:
        ``"congestion"`` (``1 - speed / free-flow speed``) or ``"value"``.
    free_flow_quantile:
        Quantile of a sensor's readings taken as its free-flow speed.
    zero_is_missing:
        Treat readings of exactly 0 as missing (METR-LA's convention).
    floor:
        Share of a device's workload at a signal of 0 (a quiet road still asks something).
    """

    period: str = "1h"
    typical_day: bool = True
    signal: str = "congestion"
    free_flow_quantile: float = 0.95
    zero_is_missing: bool = True
    floor: float = 0.1

    def __post_init__(self) -> None:
        import pandas as pd

        try:
            step = pd.Timedelta(pd.tseries.frequencies.to_offset(self.period))
        except (ValueError, TypeError):
            raise InstanceError("must be a pandas offset such as 1h or 15min", field="period",
                                value=self.period) from None
        if step <= pd.Timedelta(0):
            raise InstanceError("must be a positive duration", field="period", value=self.period)
        if self.signal not in ("congestion", "value"):
            raise InstanceError("must be 'congestion' or 'value'", field="signal", value=self.signal)
        if not 0 < self.free_flow_quantile <= 1:
            raise InstanceError("must be in (0, 1]", field="free_flow_quantile", value=self.free_flow_quantile)
        if not (math.isfinite(self.floor) and 0 <= self.floor <= 1):
            raise InstanceError("must be in [0, 1]", field="floor", value=self.floor)


def read_readings(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A readings CSV: a time column (first column, or ``timestamp``/``time``/``date``), one column per sensor."""
    import pandas as pd

    from hflopt.io._common import csv_frame, csv_header, first_duplicate
    from hflopt.io._files import read_bytes

    source = str(path)
    data = read_bytes(Path(path), source)
    raw = csv_frame(data, source, skip_initial_space=False)
    cols = csv_header(data, source)
    if len(cols) != raw.shape[1]:
        cols = [str(c).strip() for c in raw.columns]
    dup = first_duplicate(cols)
    if dup is not None:
        raise InstanceError("column appears twice", field="header", value=dup, source=source)
    if len(cols) < 2 or raw.empty:
        raise FormatError("needs a time column, at least one sensor column and one row", source=source)
    tcol = next((c for c in cols if c.lower() in _TIME_COLS[:-1]), cols[0])
    raw = raw.set_axis(cols, axis=1)
    with warnings.catch_warnings():  # pandas warns when it parses element by element: not the user's concern
        warnings.simplefilter("ignore", UserWarning)
        stamps = pd.to_datetime(raw[tcol], errors="coerce")
    bad = stamps.isna()
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise InstanceError("is not a date and time", field=f"{tcol}[{k}]", value=raw[tcol].iloc[k], source=source)
    values = raw.drop(columns=[tcol]).apply(pd.to_numeric, errors="coerce")
    text_nan = raw.drop(columns=[tcol]).apply(lambda s: s.str.strip().str.lower().isin(("", "nan")))
    bad = (values.isna() & ~text_nan) | ~(values.isna() | (np.isfinite(values) & (values >= 0)))
    if bad.to_numpy().any():
        r, c = (int(v) for v in np.argwhere(bad.to_numpy())[0])
        raise InstanceError("must be a finite number >= 0 (or empty: missing)", field=f"{values.columns[c]}[{r}]",
                            value=raw[values.columns[c]].iloc[r], source=source)
    values.index = pd.DatetimeIndex(stamps, name="time")
    return values


def _signal(frame: pd.DataFrame, params: ReadingsParams) -> pd.DataFrame:
    if params.zero_is_missing:
        frame = frame.mask(frame == 0)
    if params.signal == "value":
        return frame
    free = frame.quantile(params.free_flow_quantile)
    return (1.0 - frame / free.where(free > 0)).clip(lower=0.0, upper=1.0)


def _periods(signal: pd.DataFrame, params: ReadingsParams) -> tuple[np.ndarray, list[str]]:
    per = signal.resample(params.period).mean()
    if params.typical_day:
        per = per.groupby(per.index.time).mean()
        labels = [t.strftime("%H:%M") for t in per.index]
    else:
        labels = [str(t) for t in per.index]
    if len(labels) > MAX_PERIODS:
        raise InstanceError(f"gives {len(labels)} periods, more than {MAX_PERIODS}", field="period",
                            value=params.period)
    filled = per.interpolate(limit_direction="both")
    return filled.to_numpy(dtype=np.float64), labels


def workloads_from_readings(readings: pd.DataFrame, base: Instance, params: ReadingsParams | None = None,
                            **kwargs: Any) -> Workloads:
    """A device x period table for ``base`` from time-stamped readings (one column per sensor id).

    Columns for sensors that are not devices of ``base`` are ignored; a
    device without a column, or whose column has no reading at all, is an
    error naming it.
    """
    import pandas as pd

    if params is None:
        params = ReadingsParams(**kwargs)
    elif kwargs:
        raise TypeError("give params or keyword arguments, not both")
    if not isinstance(readings.index, pd.DatetimeIndex):
        raise InstanceError("readings need a time index (read_readings gives one)", field="index",
                            value=type(readings.index).__name__)
    frame = readings.set_axis([str(c) for c in readings.columns], axis=1)
    missing = [d for d in base.device_ids if d not in frame.columns]
    if missing:
        raise InstanceError(f"has no column for device {missing[0]!r} of the instance ({len(missing)} missing)",
                            field="readings", value=missing[0])
    signal = _signal(frame[list(base.device_ids)].sort_index(), params)
    empty = [d for d in base.device_ids if not signal[d].notna().any()]
    if empty:
        raise InstanceError("has no usable reading", field=f"readings[{empty[0]}]", value=empty[0])
    values, labels = _periods(signal, params)
    top = values.max(axis=0)
    shape = np.divide(values, top, out=np.zeros_like(values), where=top > 0)
    rates = base.workload[None, :] * (params.floor + (1.0 - params.floor) * shape)
    if np.all(base.workload == np.round(base.workload)):
        rates = np.round(rates)
    meta = {"generator": "workloads_from_readings", "base": base.name, **params.__dict__}
    return Workloads(rates, base.device_ids, tuple(labels), meta)
