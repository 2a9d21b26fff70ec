"""Durations written with units: ``"20ms"``, ``"0.02s"``, ``"500us"`` or a bare number (ms)."""

from __future__ import annotations

import math
import re
from typing import Any

from hflopt.errors import InstanceError

__all__ = ["DURATION_UNITS", "parse_duration_ms"]

#: Accepted duration units and their length in milliseconds.
DURATION_UNITS: dict[str, float] = {"us": 1e-3, "µs": 1e-3, "ms": 1.0, "s": 1e3, "sec": 1e3, "min": 6e4}

_PATTERN = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\d\s.+-][^\s]*)?\s*$")


def parse_duration_ms(
    value: Any, *, field: str = "latency", source: str | None = None, allow_inf: bool = False
) -> float:
    """A duration in milliseconds.

    Parameters
    ----------
    value:
        A number (taken as milliseconds) or text: a number followed by a unit
        of :data:`DURATION_UNITS` (``"20ms"``, ``"0.02 s"``, ``"500us"``); a
        bare number in text is milliseconds too.
    field, source:
        Named in the error when the value is not a duration.
    allow_inf:
        Accept ``inf`` (no limit).

    Raises
    ------
    InstanceError
        Unknown unit, not a number, negative or (unless allowed) infinite.
    """
    if isinstance(value, bool):
        raise InstanceError("must be a duration such as 20ms or 0.02s", field=field, value=value, source=source)
    if isinstance(value, (int, float)):
        ms = float(value)
    else:
        text = str(value).strip()
        if allow_inf and text.lower() in ("inf", "infinity", "none"):
            return math.inf
        match = _PATTERN.match(text)
        if match is None:
            raise InstanceError("must be a duration such as 20ms or 0.02s", field=field, value=value, source=source)
        unit = match.group(2) or "ms"
        if unit.lower() not in DURATION_UNITS and unit not in DURATION_UNITS:
            raise InstanceError(
                f"unknown unit {unit!r} (use {', '.join(DURATION_UNITS)}, or a bare number of ms)",
                field=field, value=value, source=source,
            )
        ms = float(match.group(1)) * DURATION_UNITS.get(unit, DURATION_UNITS.get(unit.lower(), 1.0))
    if math.isnan(ms) or ms < 0 or (math.isinf(ms) and not allow_inf):
        raise InstanceError("must be a finite duration >= 0", field=field, value=value, source=source)
    return ms
