"""The ``hflopt`` command line: a thin layer over the library.

Exit status: 0 a solution was found (or the command succeeded), 1 the solver
failed, 2 bad input or usage, 3 the instance is proven infeasible, 4 no
solution was found within the time limit.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hflopt import __version__
from hflopt.errors import HfloptError, InstanceError, SolverError
from hflopt.solution import Status

EXIT_OK = 0
EXIT_SOLVER_ERROR = 1
EXIT_USAGE = 2
EXIT_INFEASIBLE = 3
EXIT_NO_SOLUTION = 4

_STATUS_EXIT = {
    Status.OPTIMAL: EXIT_OK,
    Status.FEASIBLE: EXIT_OK,
    Status.TIME_LIMIT: EXIT_OK,
    Status.INFEASIBLE: EXIT_INFEASIBLE,
    Status.NO_SOLUTION: EXIT_NO_SOLUTION,
    Status.ERROR: EXIT_SOLVER_ERROR,
}

Handler = Callable[[argparse.Namespace], int]
_COMMANDS: list[Callable[[Any], None]] = []


class UsageError(HfloptError):
    """A command-line usage problem (exit status 2)."""


def command(func: Callable[[Any], None]) -> Callable[[Any], None]:
    """Register a function that adds one sub-command to the parser."""
    _COMMANDS.append(func)
    return func


# --------------------------------------------------------------------- helpers
def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def _nonneg_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text!r}")
    return value


def _check_output_path(path: str | None) -> None:
    if not path:
        return
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise UsageError(f"{path}: output folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{path}: output folder {parent} is not writable")


def _load(args: argparse.Namespace, path: str) -> Any:
    from hflopt.io import load_instance

    return load_instance(path, format=getattr(args, "format", None))


def _err(console_msg: str) -> None:
    print(f"hflopt: {console_msg}", file=sys.stderr)


class _ProgressLine:
    """Shows incumbent, bound, gap and elapsed time on stderr while solving."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._status: Any = None

    def __enter__(self) -> _ProgressLine:
        if self.enabled:
            from rich.console import Console

            self._console = Console(stderr=True)
            self._status = self._console.status("solving ...")
            self._status.__enter__()
        return self

    def __call__(self, p: Any) -> None:
        if self._status is None:
            return
        inc = "-" if p.incumbent is None else f"{p.incumbent:.10g}"
        bnd = "-" if p.bound is None else f"{p.bound:.10g}"
        gap = "-" if p.gap is None else f"{p.gap:.3%}"
        phase = f"{p.phase}: " if p.phase else ""
        self._status.update(f"{phase}best {inc}  bound {bnd}  gap {gap}  {p.elapsed:.0f} s")

    def __exit__(self, *exc: Any) -> None:
        if self._status is not None:
            self._status.__exit__(*exc)


# -------------------------------------------------------------------- commands
@command
def _add_solve(sub: Any) -> None:
    from hflopt.model import VARIANTS
    from hflopt.solvers import METHODS

    p = sub.add_parser("solve", help="solve an instance file",
                       description="Solve an HFLOP instance and print a summary.")
    p.add_argument("file", help="instance file (or folder of CSV tables)")
    p.add_argument("--method", "-m", default="exact", choices=sorted(METHODS),
                   help="solution method (default: exact)")
    p.add_argument("--time-limit", "-t", type=_positive_float, metavar="S",
                   help="stop after S seconds with the best solution found")
    p.add_argument("--gap", type=_nonneg_float, default=0.0, metavar="G",
                   help="relative MIP gap to stop at (default 0: prove optimality)")
    p.add_argument("--solver", default="highs", metavar="NAME",
                   help="Pyomo solver for exact methods (default highs; e.g. cbc, glpk, gurobi)")
    p.add_argument("--variant", choices=VARIANTS, default="strong",
                   help="linking constraints of the MILP (default strong)")
    p.add_argument("--uncapacitated", action="store_true",
                   help="ignore host capacities (capacity-unaware baseline)")
    p.add_argument("--threads", type=int, metavar="N", help="solver threads")
    p.add_argument("--seed", type=int, help="random seed for the solver / heuristics")
    p.add_argument("-o", "--output", metavar="OUT.json", help="write the result as JSON")
    p.add_argument("--plot", metavar="OUT.png", help="draw the solution map to an image file")
    p.add_argument("--format", "-f", help="input format (native, authors, csv, sscflp, ...)")
    p.add_argument("--verbose", "-v", action="store_true", help="stream the solver log")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show incumbent/bound/gap while solving (default: when stderr is a terminal)")
    p.set_defaults(handler=_cmd_solve)


def _solve_options(args: argparse.Namespace) -> dict[str, Any]:
    import inspect

    from hflopt.solvers import METHODS

    wanted: dict[str, Any] = {
        "time_limit": args.time_limit,
        "gap": args.gap,
        "solver": args.solver,
        "variant": args.variant,
        "uncapacitated": args.uncapacitated,
        "threads": args.threads,
        "seed": args.seed,
        "verbose": args.verbose,
    }
    params = inspect.signature(METHODS[args.method]).parameters
    options = {}
    for key, value in wanted.items():
        if key in params:
            options[key] = value
        elif value not in (None, False) and not (key == "gap" and value == 0) and not (
            key in ("solver", "variant") and value in ("highs", "strong")
        ):
            raise UsageError(f"--{key.replace('_', '-')} does not apply to method {args.method!r}")
    return options


def _cmd_solve(args: argparse.Namespace) -> int:
    from hflopt.io import write_text_atomic
    from hflopt.io._common import dumps_json
    from hflopt.solvers import METHODS, solve

    _check_output_path(args.output)
    _check_output_path(args.plot)
    instance = _load(args, args.file)
    options = _solve_options(args)
    show = args.progress if args.progress is not None else (sys.stderr.isatty() and not args.quiet)
    if "progress" in __import__("inspect").signature(METHODS[args.method]).parameters:
        with _ProgressLine(bool(show) and not args.verbose) as line:
            if line.enabled:
                options["progress"] = line
            result = solve(instance, args.method, **options)
    else:
        result = solve(instance, args.method, **options)
    if args.output:
        write_text_atomic(args.output, dumps_json(result.to_dict()))
    if args.plot and result.solution is not None:
        from hflopt.plotting import save_solution_map

        save_solution_map(instance, result.solution, args.plot, title=instance.name)
    if not args.quiet:
        print(f"instance      {instance.name or args.file}  ({instance.n_hosts} hosts, "
              f"{instance.n_devices} devices, {instance.n_links} links, "
              f"T = {instance.min_participants}, l = {instance.rounds_ratio:g})")
        print(result.summary())
        if args.output:
            print(f"\nresult written to {args.output}")
        if args.plot and result.solution is not None:
            print(f"solution map written to {args.plot}")
    return _STATUS_EXIT[result.status]


@command
def _add_info(sub: Any) -> None:
    p = sub.add_parser("info", help="sizes, totals and tightness of an instance",
                       description="Describe an instance: sizes, totals, capacity tightness.")
    p.add_argument("file")
    p.add_argument("--format", "-f", help="input format")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=_cmd_info)


def _cmd_info(args: argparse.Namespace) -> int:
    from hflopt.io import detect_format
    from hflopt.solvers import infeasibility_reason

    instance = _load(args, args.file)
    info = instance.describe()
    info["format"] = args.format or detect_format(args.file)
    reason = infeasibility_reason(instance)
    info["infeasible"] = reason
    if args.json:
        print(json.dumps(info, indent=1, default=str))
        return EXIT_OK
    labels = {
        "capacity_over_workload": "capacity / workload",
        "capacity_over_T_smallest_workloads": "capacity / T smallest workloads",
    }
    width = max(len(labels.get(k, k.replace("_", " "))) for k in info)
    for key, value in info.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = f"{value:.6g}"
        print(f"{labels.get(key, key.replace('_', ' ')):<{width}}  {value}")
    if reason is None:
        print(f"{'feasibility':<{width}}  no cheap infeasibility proof (capacity suffices in total)")
    return EXIT_OK


@command
def _add_convert(sub: Any) -> None:
    p = sub.add_parser("convert", help="convert an instance between formats",
                       description="Read an instance in one format and write it in another. "
                       "The output format comes from --to or the extension (.json -> native; "
                       "no extension -> csv folder; .txt/.dat -> sscflp).")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--format", "--from", "-f", dest="format", help="input format")
    p.add_argument("--to", help="output format (native, authors, csv, sscflp)")
    p.set_defaults(handler=_cmd_convert)


def _cmd_convert(args: argparse.Namespace) -> int:
    from hflopt.io import save_instance

    _check_output_path(args.output)
    instance = _load(args, args.input)
    fmt = save_instance(instance, args.output, format=args.to)
    print(f"wrote {args.output} ({fmt}: {instance.n_hosts} hosts, {instance.n_devices} devices, "
          f"{instance.n_links} links)")
    return EXIT_OK


# ------------------------------------------------------------------------ main
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hflopt",
        description="Inference load-aware orchestration for hierarchical federated learning.",
        epilog="Exit status: 0 solution found, 1 solver failure, 2 bad input or usage, "
        "3 proven infeasible, 4 no solution within the time limit.",
    )
    parser.add_argument("--version", action="version", version=f"hflopt {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hflopt`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except (InstanceError, UsageError, SolverError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    except HfloptError as exc:
        _err(str(exc))
        return EXIT_SOLVER_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:  # an hflopt bug: keep the message to one line unless --debug
        if args.debug:
            raise
        _err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return EXIT_SOLVER_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
