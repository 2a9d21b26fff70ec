"""hflopt's bounds: the numbers it accepts, the bytes it reads, the memory it builds.

- :data:`MAX_VALUE`: the largest capacity, workload, cost, ``l`` and ``l`` x
  link cost an :class:`~hflopt.Instance` accepts (1e12).
- Input size cap: at most :func:`max_input_bytes` (decompressed) bytes are read
  from one file; default 1 GiB, set with :func:`input_limit`, the
  ``HFLOPT_MAX_INPUT_SIZE`` environment variable or ``--max-input-size``.
- Memory cap for generators: an instance whose estimated size exceeds
  :func:`max_memory_bytes` is refused before it is built; default half of the
  machine's memory, set with :func:`memory_limit`, ``HFLOPT_MAX_MEMORY`` or
  ``--max-memory``.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from hflopt.errors import InstanceError

__all__ = [
    "BYTES_PER_LINK",
    "DEFAULT_MAX_INPUT_BYTES",
    "MAX_VALUE",
    "check_memory",
    "format_size",
    "input_limit",
    "max_input_bytes",
    "max_memory_bytes",
    "memory_limit",
    "parse_size",
]

#: The largest capacity, workload, cloud cost, link cost, l and l x link cost hflopt
#: accepts. Below it, float64 sums of thousands of values stay exact in whole numbers,
#: and HiGHS (whose matrix refuses entries >= 1e15 and whose feasibility tolerances are
#: absolute, 1e-7) and the heuristics agree on every instance; larger data is refused
#: with the field and value (use larger units, e.g. MB instead of bytes).
MAX_VALUE = 1e12

#: Default cap on the (decompressed) bytes read from one input file: 1 GiB. Loading a
#: JSON file of that size takes several GB of memory.
DEFAULT_MAX_INPUT_BYTES = 1 << 30
ENV_MAX_INPUT = "HFLOPT_MAX_INPUT_SIZE"
ENV_MAX_MEMORY = "HFLOPT_MAX_MEMORY"

#: Peak bytes per device-host link while a generator builds an instance (the link
#: arrays, the sort and the generator's own temporaries): 68-73 measured for 10^7 links
#: with the dense random and geometric generators and the k-nearest one, rounded up.
BYTES_PER_LINK = 80
#: Peak bytes per host or device (coordinates, workloads, ids).
BYTES_PER_NODE = 200

_input_cap: contextvars.ContextVar[int | None] = contextvars.ContextVar("hflopt_max_input", default=None)
_memory_cap: contextvars.ContextVar[int | None] = contextvars.ContextVar("hflopt_max_memory", default=None)

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20,
          "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tb": 1 << 40,
          "tib": 1 << 40}


def parse_size(text: str | int, field: str = "size") -> int:
    """``"512M"``, ``"2G"``, ``"1.5GiB"`` or a number of bytes -> bytes (binary units)."""
    if isinstance(text, int) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        match = re.fullmatch(r"\s*([0-9]{1,15}(?:\.[0-9]{0,15})?)\s*([a-zA-Z]*)\s*", str(text))
        if not match or match.group(2).lower() not in _UNITS:
            raise InstanceError("must be a size such as 500M, 2G or a number of bytes",
                                field=field, value=text)
        value, unit = float(match.group(1)), match.group(2).lower()
    size = value * _UNITS[unit]
    if not 1 <= size < 2**62:
        raise InstanceError("must be a size of at least 1 byte", field=field, value=text)
    return int(size)


def format_size(n: float) -> str:
    """Bytes as a short text with binary units (``1 GiB``, ``20.5 MiB``)."""
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def _from(var: contextvars.ContextVar[int | None], env: str, default: int) -> int:
    value = var.get()
    if value is not None:
        return value
    text = os.environ.get(env)
    return parse_size(text, field=env) if text else default


@contextmanager
def _setting(var: contextvars.ContextVar[int | None], size: int | str | None, field: str) -> Iterator[None]:
    if size is None:
        yield
        return
    token = var.set(parse_size(size, field=field))
    try:
        yield
    finally:
        var.reset(token)


def max_input_bytes() -> int:
    """The input size cap in force: :func:`input_limit`, else the environment, else 1 GiB."""
    return _from(_input_cap, ENV_MAX_INPUT, DEFAULT_MAX_INPUT_BYTES)


def input_limit(max_bytes: int | str | None) -> AbstractContextManager[None]:
    """Read inputs with at most ``max_bytes`` (decompressed) bytes each inside the block."""
    return _setting(_input_cap, max_bytes, "max_input_size")


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def max_memory_bytes() -> int:
    """The generators' memory cap: :func:`memory_limit`, else the environment, else half the RAM."""
    return _from(_memory_cap, ENV_MAX_MEMORY, _physical_memory() // 2)


def memory_limit(max_bytes: int | str | None) -> AbstractContextManager[None]:
    """Let generators build instances of up to ``max_bytes`` (estimated) inside the block."""
    return _setting(_memory_cap, max_bytes, "max_memory")


def check_memory(n_nodes: float, n_links: float, what: str) -> None:
    """Refuse to build ``what`` when its estimated peak memory exceeds the cap.

    The estimate is :data:`BYTES_PER_LINK` per link plus :data:`BYTES_PER_NODE`
    per host or device; the message names both numbers and how to raise the cap.
    """
    estimate = float(n_links) * BYTES_PER_LINK + float(n_nodes) * BYTES_PER_NODE
    cap = max_memory_bytes()
    if estimate > cap:
        raise InstanceError(
            f"would need about {format_size(estimate)} of memory ({n_links:.3g} links), over the "
            f"cap of {format_size(cap)} (raise it with --max-memory or {ENV_MAX_MEMORY}, or use "
            "fewer devices, hosts or links per device)", field=what)

