"""Typed parameters of the solver methods, and the options they all share.

Two kinds of settings reach a method:

- :class:`SolveOptions`, what every caller may ask of any method that
  honours it: time limit, gap, seed, progress callback, warm start, ...
- one frozen dataclass of **tuning parameters** per method
  (:class:`ExactParams`, :class:`AutoParams`, ...), one documented line per
  field, with the values measured best as defaults (the measurements are in
  ``docs/decisions.md``). Benchmarks and ablations pass modified copies
  (``dataclasses.replace(ExactParams(), core_search=False)``) instead of
  patching module globals.

Parameters load from TOML or JSON (:func:`load_params`; one table per method,
nested tables for nested parameters), and from ``key=value`` strings
(:func:`params_from_strings`, the CLI's ``--param``)::

    [exact]
    core_search = false
    [auto]
    exact_max_links = 100000
    [auto.exact]
    warm_lp = false
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from hflopt.errors import InstanceError, SolverError

__all__ = [
    "AutoParams",
    "CheapestParams",
    "CoreSearchParams",
    "ExactParams",
    "LagrangianParams",
    "LocalSearchParams",
    "NoParams",
    "PackParams",
    "SolveOptions",
    "SparseParams",
    "load_params",
    "params_from_mapping",
    "params_from_strings",
]


@dataclass(frozen=True)
class SolveOptions:
    """What any caller may ask of a method (each method honours a documented subset)."""

    time_limit: float | None = None  #: seconds for the whole solve (None: no limit)
    gap: float = 0.0  #: relative gap at which to stop (0: prove optimality)
    solver: str = "highs"  #: MILP solver: "highs" (highspy) or any Pyomo solver name
    variant: str = "strong"  #: linking constraints of the MILP: strong, bigm or both
    uncapacitated: bool = False  #: drop the capacity rows (the capacity-unaware baseline)
    threads: int | None = None  #: HiGHS threads (process-wide in HiGHS)
    seed: int | None = None  #: random seed of randomised steps and of HiGHS
    verbose: bool = False  #: stream the MILP solver's log
    warm_start: Any = None  #: a feasible Solution to start from
    progress: Callable[..., None] | None = None  #: called with Progress reports while solving
    solver_options: Mapping[str, Any] | None = None  #: the MILP solver's own options

    def replace(self, **changes: Any) -> SolveOptions:
        return dataclasses.replace(self, **changes)


class _Checked:
    """Parameter values are checked on construction: numbers finite and >= 0 (those named in
    ``_SIGNED``: finite; in ``_POSITIVE``: > 0), shares at most 1."""

    _SIGNED: ClassVar[frozenset[str]] = frozenset()  #: fields that may be negative (objective values)
    _POSITIVE: ClassVar[frozenset[str]] = frozenset()  #: fields where 0 has no meaning (divisors, counts)

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            where = f"{type(self).__name__}.{f.name}"
            _check_type(str(f.type), value, where)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                continue
            if f.name in self._SIGNED:
                if not math.isfinite(value):
                    raise SolverError(f"{where}: must be a finite number, got {value!r}")
            elif not math.isfinite(value) or value < 0:
                raise SolverError(f"{where}: must be a finite number >= 0, got {value!r}")
            elif value == 0 and f.name in self._POSITIVE:
                raise SolverError(f"{where}: must be > 0, got {value!r}")
            if f.name.endswith("share") and value > 1:
                raise SolverError(f"{where}: is a share of the time, at most 1, got {value!r}")


def _check_type(kind: str, value: Any, where: str) -> None:
    """``value`` must have the field's declared type (``int``, ``float``, ``bool``, ``str``,
    a parameter class, each possibly ``| None``): a wrong type is an error, never coerced."""
    if value is None:
        if "None" in kind:
            return
        raise SolverError(f"{where}: must not be None")
    base = kind.replace("| None", "").strip()
    ok = {"bool": lambda v: isinstance(v, bool),
          "int": lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool),
          "float": lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool),
          "str": lambda v: isinstance(v, str)}.get(base)
    if ok is None:  # a nested parameter class
        ok = lambda v: type(v).__name__ == base  # noqa: E731
    if not ok(value):
        wanted = {"bool": "true or false", "int": "a whole number", "float": "a number",
                  "str": "a string"}.get(base, f"of type {base}")
        raise SolverError(f"{where}: must be {wanted}, got {value!r}")


@dataclass(frozen=True)
class NoParams(_Checked):
    """A method without tuning parameters."""


@dataclass(frozen=True)
class PackParams(_Checked):
    """``greedy-pack``: the authors' pack baseline."""

    prune: bool = False  #: drop the most expensive associations down to T devices afterwards


@dataclass(frozen=True)
class CheapestParams(_Checked):
    """``greedy-cheapest``: the authors' cheapest-first baseline."""

    prune: bool = True  #: drop the most expensive associations down to T devices afterwards


@dataclass(frozen=True)
class LocalSearchParams(_Checked):
    """``local-search``: shift/swap/exchange/open/close moves with perturbation."""

    _SIGNED: ClassVar[frozenset[str]] = frozenset({"stop_at"})

    max_no_improve: int = 30  #: stop after this many perturbations in a row that found nothing
    stop_at: float | None = None  #: a proven lower bound (any finite number): stop once a solution reaches it


@dataclass(frozen=True)
class CoreSearchParams(_Checked):
    """``core-search``: Lagrangian core + LP-guided search over sets of open hosts."""

    _POSITIVE: ClassVar[frozenset[str]] = frozenset({"start_iterations"})

    max_kicks: int = 3  #: random restarts of the descent that found nothing in a row
    max_evals: int = 40  #: LP evaluations per descent step
    start_iterations: int = 60  #: subgradient iterations of the starting bound
    bound_iterations: int = 600  #: subgradient iterations that tighten the final certificate
    bound_seconds: float | None = None  #: their time (None: half the time spent before, >= 0.1 s)
    mip_seconds: float | None = None  #: final assignment MIP budget (None: automatic; 0: off)
    max_two_for_one: int = 2_000_000  #: most 2-for-1 move bounds computed at once (memory)
    all_links_up_to: int = 12_000  #: core LPs with at most this many usable links use all of them
    per_device: int = 4  #: links per device in larger core LPs (plus ties with the best)
    repair_seconds: float = 0.2  #: MIP that repairs a rounding the LP says can win
    min_mip_seconds: float = 1.0  #: the final assignment MIP may always take this long
    kick_seconds: float = 0.25  #: kicks may always take this long
    round_exchanges: int = 40  #: capacity-blocked moves per exchange pass after each rounding
    feasibility_mip_max_links: int = 2_000_000  #: largest feasibility MIP tried for a first solution


@dataclass(frozen=True)
class LagrangianParams(_Checked):
    """``lagrangian``: subgradient bound + Lagrangian heuristic + core search + local search."""

    _POSITIVE: ClassVar[frozenset[str]] = frozenset({"iterations"})

    iterations: int = 1000  #: subgradient iterations at most
    max_no_improve: int = 10  #: local-search perturbations without improvement before it stops
    search: bool = True  #: run the core search after the bound phase while the gap is open
    search_seconds: float | None = None  #: its budget (None: what is left)
    search_max_links: int = 5_000_000  #: no core search above this many links
    core: CoreSearchParams = field(default_factory=CoreSearchParams)  #: the core search's own


@dataclass(frozen=True)
class ExactParams(_Checked):
    """``exact``: LP/Lagrangian bound, heuristics, reduced-cost fixing, HiGHS branch-and-bound."""

    _POSITIVE: ClassVar[frozenset[str]] = frozenset({"ls_links_per_second"})

    full_core_links: int = 10_000  #: instances with at most this many usable links: all form the LP core
    core_per_device: int = 3  #: links per device in the first LP core of larger instances
    max_cg_rounds: int = 8  #: LP rounds of column generation at most
    ipm_columns: int = 12_000  #: LP cores with more columns: interior point without crossover
    warm_lp: bool = True  #: warm-start each LP round from the last basis; resume rounds for B&B
    resume_lp_seconds: float = 0.5  #: resume only when the last round took at most this long
    bound_share: float = 0.5  #: no new LP round after this share of a time limit
    lp_max_share: float = 0.75  #: no LP round past this share of a time limit without a solution
    lp_max_share_with_start: float = 0.9  #: ... or past this share with one (a warm start)
    ls_base: float = 0.3  #: local-search budget: base seconds ...
    ls_links_per_second: float = 50_000.0  #: ... plus links / this ...
    ls_max: float = 3.0  #: ... at most this many seconds
    ls_max_no_improve: int = 5  #: local search stops after this many fruitless perturbations
    core_search: bool = True  #: short core search after LP rounding while the gap is open
    tight_ratio: float = 2.0  #: capacity below this x W_T counts as tight: full core search
    tight_share: float = 0.2  #: ... for at most this share of the time left
    tight_max: float = 30.0  #: ... and at most this many seconds
    presolve_max_nonzeros: int = 150_000  #: under a time limit, bigger MILPs skip HiGHS's presolve
    strong_max_link_rows: int = 50_000  #: under a time limit, more x <= y rows: aggregated linking
    mip_setup_seconds_per_nonzero: float = 3e-6  #: HiGHS setup estimate; B&B skipped if it cannot fit
    build_seconds_per_link: float = 1e-6  #: MILP build estimate; not built if it cannot fit
    warm_mip_rins_rens: bool = False  #: keep HiGHS's RINS/RENS sub-MIPs on when warm-started
    dual_first: bool = True  #: T = N above full_core_links, first LP pricing far below itself: subgradient takes over
    dual_share: float = 0.2  #: ... for at most this share of a time limit ...
    dual_max_seconds: float = 30.0  #: ... and at most this many seconds


@dataclass(frozen=True)
class AutoParams(_Checked):
    """``auto``: heuristic + bound, then the exact solver warm-started when size and time allow."""

    _POSITIVE: ClassVar[frozenset[str]] = frozenset({"heuristic_share"})

    exact_max_links: int = 300_000  #: the exact phase runs on instances with at most this many links
    large_exact_max_links: int = 1_500_000  #: ... or this many, given at least large_exact_seconds
    large_exact_seconds: float = 60.0  #: time (or no limit) the large exact phase needs
    heuristic_share: float = 0.25  #: share of a time limit for the heuristic phase
    lagrangian: LagrangianParams = field(default_factory=LagrangianParams)  #: the heuristic phase's
    core_search: CoreSearchParams = field(default_factory=CoreSearchParams)  #: on small instances
    exact: ExactParams = field(default_factory=ExactParams)  #: the exact phase's


@dataclass(frozen=True)
class SparseParams(_Checked):
    """``sparse``: each device's k cheapest links, widened where a Lagrangian check says so."""

    k: int = 10  #: links per device in the first restriction
    method: str = "lagrangian"  #: method solving each restriction
    max_rounds: int = 4  #: widenings at most


# ------------------------------------------------------------------- loading
def _check_value(cls: type, name: str, kind: Any, value: Any, where: str) -> Any:
    """``value`` as the field's type (bool, int, float, str, or nested params), or an error."""
    default = next(f for f in fields(cls) if f.name == name)
    sample = default.default if default.default is not dataclasses.MISSING else default.default_factory()
    if dataclasses.is_dataclass(sample):
        if not isinstance(value, Mapping):
            raise SolverError(f"{where}: must be a table of {type(sample).__name__} fields, got {value!r} "
                              f"(set one field with {where.rsplit('.', 1)[-1]}.FIELD=VALUE)")
        return params_from_mapping(type(sample), value, where)
    return _typed(sample, kind, value, where)


def _typed(sample: Any, kind: Any, value: Any, where: str) -> Any:
    text = str(kind)
    if isinstance(sample, bool) or text == "bool":
        if isinstance(value, bool):
            return value
        raise SolverError(f"{where}: must be true or false, got {value!r}")
    if value is None and "None" in text:
        return None
    if "int" in text and "float" not in text:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:  # 1e4, 3.0
            return int(value)
        raise SolverError(f"{where}: must be a whole number, got {value!r}")
    if "float" in text:
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise SolverError(f"{where}: must be a finite number, got {value!r}")
    if isinstance(value, str):
        return value
    raise SolverError(f"{where}: must be a string, got {value!r}")


def params_from_mapping(cls: type, values: Mapping[str, Any], where: str = "params",
                        base: Any = None) -> Any:
    """``cls`` (or ``base``, a ``cls``) with the fields in ``values``; unknown names are errors."""
    known = {f.name: f.type for f in fields(cls)}
    out = {}
    for key, value in values.items():
        if key not in known:
            if not known:
                raise SolverError(f"this method takes no tuning parameters, got {key!r}")
            raise SolverError(f"{where}: unknown parameter {key!r} of {cls.__name__} "
                              f"(known: {', '.join(known)})")
        out[key] = _check_value(cls, key, known[key], value, f"{where}.{key}")
    return dataclasses.replace(base if base is not None else cls(), **out)


def load_params(path: str | Path, methods: Mapping[str, type]) -> dict[str, Any]:
    """Read parameters from a TOML or JSON file: ``{method: params}``.

    ``methods`` maps method names to their parameter classes; a table for an
    unknown method, an unknown field or a value of the wrong type is an
    :class:`~hflopt.InstanceError` naming the file and the field.
    """
    from hflopt.io._common import parse_json, read_text

    source = str(path)
    text = read_text(Path(path), source)
    if Path(path).suffix.lower() == ".json":
        raw = parse_json(text, source)
    else:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InstanceError(f"invalid TOML: {exc}", source=source) from None
    if not isinstance(raw, Mapping):
        raise InstanceError("must hold one table per method", source=source)
    out = {}
    for name, values in raw.items():
        if name not in methods:
            hint = "" if isinstance(values, Mapping) else "; put parameters in one table per method, e.g. [exact]"
            raise InstanceError(f"unknown method (known: {', '.join(sorted(methods))}){hint}", field=name,
                                source=source)
        if not isinstance(values, Mapping):
            raise InstanceError("must be a table of parameters", field=name, source=source)
        try:
            out[name] = params_from_mapping(methods[name], values, name)
        except SolverError as exc:
            raise InstanceError(str(exc), source=source) from None
    return out


def params_from_strings(cls: type, items: Iterable[str], base: Any = None) -> Any:
    """Apply ``key=value`` strings (``core_search=false``, ``exact.warm_lp=false``) to ``cls``."""
    nested: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise SolverError(f"--param: expected KEY=VALUE, got {item!r}")
        target = nested
        *heads, last = key.strip().split(".")
        for head in heads:
            target = target.setdefault(head, {})
        target[last] = _parse_scalar(raw.strip())
    return params_from_mapping(cls, nested, cls.__name__, base=base)


def _parse_scalar(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
