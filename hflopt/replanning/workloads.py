"""Inference load over time: a device x period table of workloads.

:class:`Workloads` holds ``rates[P, N]`` (period ``t``, device ``i``) with
the devices named as in an instance and a label per period. It comes from

- a sequence of instances that differ only in their workloads
  (:meth:`Workloads.from_instances`),
- a pandas DataFrame, wide (one row per period, one column per device) or
  long (columns ``period``, ``device``, ``rate``) (:meth:`Workloads.from_frame`),
- a CSV file in either layout (:func:`read_workloads`; written by
  :func:`save_workloads`),
- the daily-profile generator (:func:`daily_profile`), or
- time-stamped sensor readings such as METR-LA's speeds
  (:func:`~hflopt.replanning.readings.workloads_from_readings`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hflopt.errors import FormatError, InstanceError
from hflopt.instance import Instance
from hflopt.limits import MAX_VALUE

if TYPE_CHECKING:  # pandas loads when a table is read or written
    import pandas as pd

__all__ = ["DayParams", "Workloads", "daily_profile", "read_workloads", "save_workloads"]

#: a workloads table may have at most this many periods (a year of hours: a bound on what is allocated)
MAX_PERIODS = 10_000
#: largest peak amplitude of :class:`DayParams` (times the base workload)
MAX_AMPLITUDE = 1000.0
#: column names accepted for the three columns of the long layout
_PERIOD_COLS = ("period", "time", "timestamp", "hour")
_DEVICE_COLS = ("device", "device_id", "sensor", "sensor_id", "id")
_RATE_COLS = ("rate", "workload", "load", "request_rate")


@dataclass(frozen=True, eq=False)
class Workloads:
    """Workload of every device in every period (the ``D_i`` of each period's instance).

    Attributes
    ----------
    rates:
        ``[P, N]`` float array, read-only: ``rates[t, i]`` is device ``i``'s
        workload in period ``t``.
    device_ids:
        The N device names (the instance's ``device_ids``).
    periods:
        The P period labels (``"00:00"``, ``"2012-03-01 08:00"``, ``"3"``, ...).
    metadata:
        How the table was made (generator parameters, source file).
    """

    rates: np.ndarray
    device_ids: tuple[str, ...]
    periods: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rates = np.array(self.rates, dtype=np.float64)
        if rates.ndim != 2:
            raise InstanceError("must be a table of periods x devices", field="rates", value=rates.shape)
        p, n = rates.shape
        if p < 1 or n < 1:
            raise InstanceError("needs at least one period and one device", field="rates", value=rates.shape)
        if p > MAX_PERIODS:
            raise InstanceError(f"at most {MAX_PERIODS} periods are supported", field="periods", value=p)
        _check_rates(rates, self.periods, self.device_ids)
        ids = tuple(str(d) for d in self.device_ids)
        labels = tuple(str(t) for t in self.periods)
        if len(ids) != n:
            raise InstanceError(f"has {len(ids)} names for {n} devices", field="device_ids", value=len(ids))
        if len(labels) != p:
            raise InstanceError(f"has {len(labels)} labels for {p} periods", field="periods", value=len(labels))
        _check_unique(ids, "device")
        _check_unique(labels, "period")
        rates.setflags(write=False)
        object.__setattr__(self, "rates", rates)
        object.__setattr__(self, "device_ids", ids)
        object.__setattr__(self, "periods", labels)
        object.__setattr__(self, "metadata", dict(self.metadata))

    # ------------------------------------------------------------ sizes
    @property
    def n_periods(self) -> int:
        return int(self.rates.shape[0])

    @property
    def n_devices(self) -> int:
        return int(self.rates.shape[1])

    def peak(self) -> np.ndarray:
        """Each device's largest workload over all periods (what a ``robust`` plan must hold)."""
        return self.rates.max(axis=0)

    def is_constant(self) -> bool:
        """True when every period has the same workloads."""
        return bool(np.all(self.rates == self.rates[0]))

    # ------------------------------------------------------------ instances
    def aligned(self, base: Instance, source: str | None = None) -> Workloads:
        """The same table with its devices in ``base``'s order.

        Raises :class:`~hflopt.InstanceError` naming the first device of the
        instance missing from the table, or the first device of the table the
        instance does not have.
        """
        if self.device_ids == base.device_ids:
            return self
        pos = {d: i for i, d in enumerate(self.device_ids)}
        missing = [d for d in base.device_ids if d not in pos]
        if missing:
            raise InstanceError(f"has no column for device {missing[0]!r} of the instance "
                                f"({len(missing)} of {base.n_devices} devices missing)", field="device",
                                value=missing[0], source=source)
        known = set(base.device_ids)
        extra = [d for d in self.device_ids if d not in known]
        if extra:
            raise InstanceError(f"names device {extra[0]!r}, which the instance does not have "
                                f"({len(extra)} unknown)", field="device", value=extra[0], source=source)
        order = np.array([pos[d] for d in base.device_ids])
        return Workloads(self.rates[:, order], base.device_ids, self.periods, self.metadata)

    def instance(self, base: Instance, t: int) -> Instance:
        """``base`` with period ``t``'s workloads (the table must be :meth:`aligned` to it)."""
        inst = base.replace(workload=self.rates[t], name=f"{base.name}@{self.periods[t]}" if base.name else "")
        return inst

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_instances(cls, instances: Iterable[Instance], periods: Sequence[Any] | None = None) -> Workloads:
        """One period per instance; every instance must have the same devices."""
        seq = list(instances)
        if not seq:
            raise InstanceError("needs at least one instance", field="instances", value=0)
        ids = seq[0].device_ids
        for t, inst in enumerate(seq):
            if inst.device_ids != ids:
                raise InstanceError("has other devices than the first instance", field=f"instances[{t}]",
                                    value=inst.name or t)
        labels = [str(t) for t in range(len(seq))] if periods is None else list(periods)
        return cls(np.stack([inst.workload for inst in seq]), ids, tuple(labels))

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, source: str | None = None) -> Workloads:
        """From a wide table (period rows, device columns; the index or a ``period`` column
        labels the periods) or a long one (``period``, ``device``, ``rate`` columns)."""
        cols = [str(c).strip() for c in frame.columns]
        if _pick(cols, _DEVICE_COLS) is not None and _pick(cols, _RATE_COLS) is not None:
            return _from_long(frame, cols, source)
        return _from_wide(frame, cols, source)

    def to_frame(self) -> pd.DataFrame:
        """The wide table: one row per period (index ``period``), one column per device."""
        import pandas as pd

        return pd.DataFrame(self.rates, index=pd.Index(self.periods, name="period"), columns=list(self.device_ids))

    def __repr__(self) -> str:
        return f"Workloads({self.n_periods} periods x {self.n_devices} devices)"


def _check_unique(labels: tuple[str, ...], what: str) -> None:
    from hflopt.io._common import first_duplicate

    dup = first_duplicate(labels)
    if dup is not None:
        raise InstanceError(f"{what} appears twice", field=what, value=dup)


def _check_rates(rates: np.ndarray, periods: Sequence[Any], devices: Sequence[Any]) -> None:
    bad = ~np.isfinite(rates) | (rates < 0) | (rates > MAX_VALUE)
    if bad.any():
        t, i = (int(v) for v in np.argwhere(bad)[0])
        where = f"rate[period {_label(periods, t)}, device {_label(devices, i)}]"
        raise InstanceError(f"must be a finite number in [0, {MAX_VALUE:g}]", field=where, value=float(rates[t, i]))


def _label(labels: Sequence[Any], k: int) -> str:
    return str(labels[k]) if k < len(labels) else str(k)


def _pick(cols: list[str], names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in cols}
    return next((lower[n] for n in names if n in lower), None)


def _numbers(values: Any, field: str, source: str | None) -> np.ndarray:
    import pandas as pd

    series = pd.Series(values)
    out = pd.to_numeric(series, errors="coerce")
    bad = out.isna()
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise InstanceError("must be a number (no empty cells)", field=f"{field}[{k}]", value=series.iloc[k],
                            source=source)
    return out.to_numpy(dtype=np.float64)


def _from_wide(frame: pd.DataFrame, cols: list[str], source: str | None) -> Workloads:
    period_col = _pick(cols, _PERIOD_COLS)
    if period_col is not None:
        k = cols.index(period_col)
        labels = [str(v) for v in frame.iloc[:, k]]
        data = frame.drop(columns=frame.columns[k])
        devices = [c for j, c in enumerate(cols) if j != k]
    else:
        labels = [str(v) for v in frame.index]
        data, devices = frame, cols
    if not devices:
        raise InstanceError("has no device column (wide layout: a period column and one column per device; "
                            "long layout: period, device and rate columns)", field="columns",
                            value=", ".join(cols), source=source)
    rates = np.column_stack([_numbers(data.iloc[:, j], f"{devices[j]}", source) for j in range(len(devices))])
    try:
        return Workloads(rates, tuple(devices), tuple(labels), {"source": source} if source else {})
    except InstanceError as exc:
        raise _sourced(exc, source) from None


def _from_long(frame: pd.DataFrame, cols: list[str], source: str | None) -> Workloads:
    period_col, device_col, rate_col = (_pick(cols, names) for names in (_PERIOD_COLS, _DEVICE_COLS, _RATE_COLS))
    if period_col is None:
        raise InstanceError("the long layout needs a period column", field="columns", value=", ".join(cols),
                            source=source)
    frame = frame.set_axis(cols, axis=1)
    period_of = [str(v) for v in frame[period_col]]
    device_of = [str(v) for v in frame[device_col]]
    periods = list(dict.fromkeys(period_of))
    devices = list(dict.fromkeys(device_of))
    if len(periods) > MAX_PERIODS:
        raise InstanceError(f"at most {MAX_PERIODS} periods are supported", field=period_col, value=len(periods),
                            source=source)
    if len(periods) * len(devices) > len(frame):  # some (period, device) has no row: say which, allocate nothing
        tt, dd = _first_missing(period_of, device_of, periods, devices)
        rows = device_of.count(dd)
        raise InstanceError(f"has no row for period {tt!r} of device {dd!r} (every device needs a rate in every "
                            f"period; this device has {rows} of {len(periods)})", field=rate_col,
                            value=f"{tt}, {dd}", source=source)
    t_pos = {p: k for k, p in enumerate(periods)}
    d_pos = {d: k for k, d in enumerate(devices)}
    flat = np.array([t_pos[a] * len(devices) + d_pos[b] for a, b in zip(period_of, device_of, strict=True)],
                    dtype=np.int64)
    order = np.argsort(flat, kind="stable")
    repeated = order[1:][flat[order][1:] == flat[order][:-1]]
    if repeated.size:
        k = int(repeated.min())
        raise InstanceError("period and device appear in two rows", field=f"{rate_col}[{k}]",
                            value=f"{period_of[k]}, {device_of[k]}", source=source)
    rates = np.empty(len(periods) * len(devices))
    rates[flat] = _numbers(frame[rate_col], rate_col, source)
    try:
        return Workloads(rates.reshape(len(periods), len(devices)), tuple(devices), tuple(periods),
                         {"source": source} if source else {})
    except InstanceError as exc:
        raise _sourced(exc, source) from None


def _first_missing(period_of: list[str], device_of: list[str], periods: list[str],
                   devices: list[str]) -> tuple[str, str]:
    """The first (period, device) pair, in table order, that has no row."""
    present: dict[str, set[str]] = {}
    for a, b in zip(period_of, device_of, strict=True):
        present.setdefault(a, set()).add(b)
    for a in periods:
        have = present[a]
        if len(have) < len(devices):
            return a, next(d for d in devices if d not in have)
    raise AssertionError("a missing pair was expected")  # pragma: no cover - the caller counted


def _sourced(exc: InstanceError, source: str | None) -> InstanceError:
    if source is None or exc.source is not None:
        return exc
    return InstanceError(exc.message, field=exc.field, value=exc.value, source=source)


# ---------------------------------------------------------------- files
def read_workloads(path: str | os.PathLike[str]) -> Workloads:
    """Read a workloads CSV (``.gz``/``.bz2``/``.xz`` too), wide or long layout.

    Wide: a ``period`` column (or ``time``, ``timestamp``, ``hour``) and one
    column per device id. Long: ``period``, ``device`` and ``rate`` columns
    (aliases: ``time``; ``device_id``, ``sensor``, ``id``; ``workload``,
    ``load``). Errors name the file, the column or cell and the value.
    """

    from hflopt.io._common import csv_frame, csv_header, first_duplicate
    from hflopt.io._files import read_bytes

    p = Path(path)
    source = str(path)
    data = read_bytes(p, source)
    frame = csv_frame(data, source)
    if frame.empty:
        raise FormatError("has a header but no rows", source=source)
    cols = [str(c).strip() for c in frame.columns]
    written = csv_header(data, source)
    dup = first_duplicate(written)
    if dup is not None:
        raise FormatError("column appears twice in the header (each device once)", field=dup, source=source)
    return Workloads.from_frame(frame.set_axis(cols, axis=1), source=source)


def save_workloads(workloads: Workloads, path: str | os.PathLike[str]) -> None:
    """Write the wide CSV (a ``period`` column, one column per device), atomically."""
    from hflopt.io._common import write_text_atomic

    write_text_atomic(path, workloads.to_frame().to_csv(float_format="%.10g", lineterminator="\n"))


# ---------------------------------------------------------------- the daily profile
@dataclass(frozen=True)
class DayParams:
    """How :func:`daily_profile` draws a day of inference load.

    Each device's workload in period ``t`` (at hour ``h`` of the day) is its
    base workload ``D_i`` (the instance's) times
    ``night + (1 - night) * (a_i * g(h - morning - phi_i) + b_i * g(h - evening - phi_i))``
    times noise, where ``g`` is a bell of width ``peak_width_h`` hours scaled
    to 1 at its top, ``a_i`` and ``b_i`` are the device's two peak amplitudes
    and ``phi_i`` its phase (a road that fills early or late).

    Attributes
    ----------
    periods:
        Periods per day (24: hourly; 96: every 15 minutes).
    start_hour:
        Hour of the day at which the first period starts.
    morning_hour, evening_hour:
        Centres of the two rush hours.
    peak_width_h:
        Standard deviation of each peak, hours.
    phase_sd_h:
        Standard deviation of each device's phase shift, hours.
    amplitude:
        ``(low, high)``: each peak's amplitude is drawn ``U(low, high)`` per
        device (1: the base workload at the top of the peak).
    night:
        Share of the base workload a device still has at the quietest time.
    noise_cv:
        Coefficient of variation of the multiplicative log-normal noise, per
        device and period (0: a smooth day).
    integral:
        Round workloads to whole numbers (None: when the base workloads are all whole).
    seed:
        Seeds every draw.
    """

    periods: int = 24
    start_hour: float = 0.0
    morning_hour: float = 8.0
    evening_hour: float = 17.5
    peak_width_h: float = 1.5
    phase_sd_h: float = 0.75
    amplitude: tuple[float, float] = (0.6, 1.2)
    night: float = 0.25
    noise_cv: float = 0.1
    integral: bool | None = None
    seed: int | None = 0

    def __post_init__(self) -> None:
        if isinstance(self.periods, bool) or not isinstance(self.periods, int) or not 1 <= self.periods <= MAX_PERIODS:
            raise InstanceError(f"must be a whole number in [1, {MAX_PERIODS}]", field="periods", value=self.periods)
        for name in ("start_hour", "morning_hour", "evening_hour", "peak_width_h", "phase_sd_h", "night",
                     "noise_cv"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value < 0:
                raise InstanceError("must be a finite number >= 0", field=name, value=value)
        if self.peak_width_h < 0.01:
            raise InstanceError("must be at least 0.01 (hours)", field="peak_width_h", value=self.peak_width_h)
        if self.night > 1:
            raise InstanceError("is a share of the base workload, at most 1", field="night", value=self.night)
        for name, high in (("start_hour", 24.0), ("morning_hour", 48.0), ("evening_hour", 48.0),
                           ("peak_width_h", 24.0), ("phase_sd_h", 24.0), ("noise_cv", 10.0)):
            if getattr(self, name) > high:
                raise InstanceError(f"must be at most {high:g}", field=name, value=getattr(self, name))
        lo, hi = (float(v) for v in self.amplitude)
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= hi <= MAX_AMPLITUDE):
            raise InstanceError(f"must be (low, high) with 0 <= low <= high <= {MAX_AMPLITUDE:g}", field="amplitude",
                                value=self.amplitude)
        seed = self.seed
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise InstanceError("must be a whole number >= 0 (or None: a fresh day)", field="seed", value=seed)


def _bell(hours: np.ndarray, width: float) -> np.ndarray:
    """A bell of height 1 on the 24-hour circle (a peak at 23:00 spills past midnight)."""
    d = np.abs((hours + 12.0) % 24.0 - 12.0)
    return np.exp(-0.5 * (d / width) ** 2)


def daily_profile(base: Instance, params: DayParams | None = None, **kwargs: Any) -> Workloads:
    """A day of workloads for ``base``'s devices: two rush hours, per-device phase and amplitude, noise.

    ``base.workload`` sets each device's level (see :class:`DayParams` for the
    shape); give a :class:`DayParams` or its fields as keywords
    (``periods=96, seed=3``). Same parameters and base, same table.
    """
    if params is None:
        params = DayParams(**kwargs)
    elif kwargs:
        raise TypeError("give params or keyword arguments, not both")
    rng = np.random.default_rng(params.seed)
    n, p = base.n_devices, params.periods
    hours = params.start_hour + 24.0 * np.arange(p) / p
    phase = rng.normal(0.0, params.phase_sd_h, size=n) if params.phase_sd_h > 0 else np.zeros(n)
    amp = rng.uniform(*params.amplitude, size=(2, n))
    h = hours[:, None] - phase[None, :]
    shape = amp[0] * _bell(h - params.morning_hour, params.peak_width_h) \
        + amp[1] * _bell(h - params.evening_hour, params.peak_width_h)
    level = params.night + (1.0 - params.night) * shape
    if params.noise_cv > 0:
        sigma = math.sqrt(math.log1p(params.noise_cv ** 2))
        level = level * rng.lognormal(-0.5 * sigma ** 2, sigma, size=(p, n))
    rates = base.workload[None, :] * level
    integral = params.integral
    if integral is None:
        integral = bool(np.all(base.workload == np.round(base.workload)))
    if integral:
        rates = np.round(rates)
    labels = tuple(_clock(hh) for hh in hours)
    meta = {"generator": "daily_profile", "base": base.name,
            **{k: (list(v) if isinstance(v, tuple) else v) for k, v in params.__dict__.items()}}
    if rates.size and float(rates.max()) > MAX_VALUE:
        raise InstanceError(f"the busiest workload {float(rates.max()):.3g} exceeds {MAX_VALUE:.0e}: lower the "
                            "base workloads or the amplitude", field="amplitude", value=params.amplitude)
    return Workloads(rates, base.device_ids, labels, meta)


def _clock(hours: float) -> str:
    minutes = round((hours % 24.0) * 60.0) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
