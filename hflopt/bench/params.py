"""Parameters of a benchmark run: which methods, how long, how many times, where.

Both are small frozen dataclasses, validated on construction; a bad value
raises :class:`~hflopt.InstanceError` naming the parameter (exit status 2 on
the command line).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hflopt.errors import InstanceError

__all__ = ["DEFAULT_METHODS", "BenchParams", "MethodSpec"]

#: methods run when none are named: the exact solver and the methods users compare with it
DEFAULT_METHODS = ("exact", "auto", "core-search", "lagrangian", "local-search", "greedy")


@dataclass(frozen=True)
class MethodSpec:
    """One column of a benchmark: a method and the options it runs with.

    Parameters
    ----------
    label:
        Name in the results table (unique within a run).
    method:
        A registered method name (``hflopt.method_names()``), or
        ``"module:function"`` for any importable function taking
        ``(instance, **options)`` and returning a :class:`~hflopt.Result`
        (e.g. a baseline of one's own; it must be importable where the runs
        execute, which on a Dask cluster means on the workers).
    options:
        Extra keyword arguments for the method (``solver_options``,
        ``uncapacitated``, ...). ``time_limit``, ``seed`` and ``threads``
        come from :class:`BenchParams` and are passed when the method takes them.
    """

    label: str
    method: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.label, str) or not self.label.strip() or "," in self.label:
            raise InstanceError("must be a non-empty name without commas", field="methods", value=self.label)
        if not self.method:
            object.__setattr__(self, "method", self.label)
        object.__setattr__(self, "options", dict(self.options))

    @classmethod
    def parse(cls, text: str) -> MethodSpec:
        """``"greedy"`` or ``"label=method"`` (e.g. ``"plain=mymodule:solve_plain"``)."""
        label, sep, method = text.strip().partition("=")
        return cls(label.strip(), method.strip() if sep else label.strip())

    @property
    def is_callable_path(self) -> bool:
        """True when :attr:`method` names a function (``module:function``), not a registered method."""
        return ":" in self.method

    def check(self) -> None:
        """Raise an InstanceError when the method is neither registered nor a ``module:function`` path,
        or a registered method does not take one of the options."""
        if self.is_callable_path:
            module, _, func = self.method.partition(":")
            if not module or not func:
                raise InstanceError("expected module:function", field="methods", value=self.method)
            return
        from hflopt.errors import SolverError
        from hflopt.solvers import METHODS, resolve

        if self.method not in METHODS:
            raise InstanceError(f"unknown method (known: {', '.join(sorted(METHODS))})", field="methods",
                                value=self.method)
        try:  # a misspelt option or parameter: refused before any run
            resolve(self.method, self.options)
        except SolverError as exc:
            raise InstanceError(str(exc), field="methods", value=self.label) from None


def _positive(name: str, value: Any, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    if not ok:
        raise InstanceError("must be a number > 0" + (" (or None)" if allow_none else ""), field=name, value=value)


def _whole(name: str, value: Any, low: int, *, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise InstanceError(f"must be a whole number >= {low}", field=name, value=value)


@dataclass(frozen=True)
class BenchParams:
    """How a benchmark runs.

    Parameters
    ----------
    methods:
        Method names or :class:`MethodSpec` objects, in the order of the
        tables (default :data:`DEFAULT_METHODS`); stored as MethodSpec objects.
    time_limit:
        Seconds per run, handed to every method (None: no limit, and no kill).
    grace:
        A run still going ``grace`` seconds after its time limit is killed
        (with its child processes) and recorded as ``killed``.
    load_timeout:
        Seconds allowed for starting a run and loading or generating its
        instance, before the time limit starts to count.
    repeat:
        Runs per (instance, method); repeat ``k`` gets solver seed ``seed + k``.
    seed:
        Solver seed of the first repeat (None: methods use their defaults).
    threads:
        Solver threads per run (None: each method's default).
    jobs:
        Runs at a time (local processes, or Dask workers of ``dask="local"``).
    dask:
        None (local processes), ``"local"`` (a LocalCluster of ``jobs``
        workers) or a scheduler address (``tcp://host:8786``).
    reference:
        Label of the method speed-ups are measured against (default exact).
    max_input_size:
        Bytes read at most from one instance file (None: hflopt's default cap).
    """

    methods: tuple[MethodSpec | str, ...] = DEFAULT_METHODS
    time_limit: float | None = 60.0
    grace: float = 10.0
    load_timeout: float = 600.0
    repeat: int = 1
    seed: int | None = 0
    threads: int | None = None
    jobs: int = 1
    dask: str | None = None
    reference: str = "exact"
    max_input_size: int | None = None

    def __post_init__(self) -> None:
        methods = self.methods
        if isinstance(methods, (str, MethodSpec)):
            methods = (methods,)
        if not isinstance(methods, Sequence) or not methods:
            raise InstanceError("must name at least one method", field="methods", value=methods)
        specs = tuple(m if isinstance(m, MethodSpec) else MethodSpec.parse(str(m)) for m in methods)
        labels = [s.label for s in specs]
        dup = next((x for k, x in enumerate(labels) if x in labels[:k]), None)
        if dup is not None:
            raise InstanceError("is named twice (give each method once, or label=method)", field="methods",
                                value=dup)
        object.__setattr__(self, "methods", specs)
        _positive("time_limit", self.time_limit, allow_none=True)
        _positive("load_timeout", self.load_timeout)
        if not (isinstance(self.grace, numbers.Real) and math.isfinite(self.grace) and self.grace >= 0):
            raise InstanceError("must be a number >= 0", field="grace", value=self.grace)
        _whole("repeat", self.repeat, 1)
        _whole("jobs", self.jobs, 1)
        _whole("seed", self.seed, 0, allow_none=True)
        _whole("threads", self.threads, 1, allow_none=True)
        _whole("max_input_size", self.max_input_size, 1, allow_none=True)
        if self.dask is not None and (not isinstance(self.dask, str) or not self.dask.strip()):
            raise InstanceError("must be 'local' or a scheduler address", field="dask", value=self.dask)

    @property
    def specs(self) -> tuple[MethodSpec, ...]:
        """The methods as :class:`MethodSpec` objects, in table order."""
        return tuple(m for m in self.methods if isinstance(m, MethodSpec))

    @property
    def labels(self) -> tuple[str, ...]:
        """The method labels, in table order."""
        return tuple(m.label for m in self.specs)

    def check_methods(self) -> None:
        """Raise an InstanceError naming the first method that cannot run."""
        for spec in self.specs:
            spec.check()

    def seed_of(self, repeat: int) -> int | None:
        """Solver seed of repeat ``repeat`` (0-based)."""
        return None if self.seed is None else self.seed + repeat
