"""The ``hflopt`` command line: a thin layer over the library.

Exit status: 0 a solution was found (or the command succeeded), 1 the solver
failed, 2 bad input or usage, 3 the instance is proven infeasible, 4 no
solution was found within the time limit.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hflopt import cli_bench, cli_evaluate, cli_replan
from hflopt.cli_types import nonneg_float, positive_float, size, whole
from hflopt.errors import HfloptError, InstanceError, SolverError, SolverFailure

EXIT_OK = 0
EXIT_SOLVER_ERROR = 1
EXIT_USAGE = 2
EXIT_INFEASIBLE = 3
EXIT_NO_SOLUTION = 4

#: exit status per result status (``Status`` values; the enum loads with the solvers)
_STATUS_EXIT = {
    "optimal": EXIT_OK,
    "feasible": EXIT_OK,
    "time_limit": EXIT_OK,
    "infeasible": EXIT_INFEASIBLE,
    "no_solution": EXIT_NO_SOLUTION,
    "error": EXIT_SOLVER_ERROR,
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
def _gap(text: str) -> float:
    """``--gap``: a fraction (0.05) or a percentage (5%); a bare number above 1 is refused."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1] if percent else raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or a percentage: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a fraction >= 0 or a percentage, got {text!r}")
    if percent:
        if value > 100:
            raise argparse.ArgumentTypeError(f"must be at most 100%, got {text!r}")
        return value / 100
    if value > 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} would be a gap of {value:.0%}: give a fraction (e.g. {value / 100:g}) or a "
            f"percentage ({value:g}%)")
    return value


class _LazyChoices:
    """``choices`` for argparse, computed on first use.

    The method registry loads numpy and the solvers; building the parser (for
    ``--help`` or ``info``) must not. argparse only iterates the choices to
    check a value or to write a message, and the help texts name them with
    ``%(choices)s``, which is expanded when the help is shown.
    """

    def __init__(self, load: Callable[[], Sequence[str]]) -> None:
        self._load = load
        self._values: tuple[str, ...] | None = None

    def _get(self) -> tuple[str, ...]:
        if self._values is None:
            self._values = tuple(self._load())
        return self._values

    def __contains__(self, value: object) -> bool:
        return value in self._get()

    def __iter__(self) -> Any:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def _method_choices() -> list[str]:
    from hflopt.solvers import METHODS

    return sorted(METHODS)


def _variant_choices() -> tuple[str, ...]:
    from hflopt.model import VARIANTS

    return VARIANTS


def _solver_option(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` -> (key, value): true/false, whole numbers and numbers are typed."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key or not raw:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    low = raw.lower()
    if low in ("true", "false"):
        return key, low == "true"
    for kind in (int, float):
        try:
            return key, kind(raw)
        except ValueError:
            pass
    return key, raw


def _output(path: str | None) -> Any:
    """Check an output path before any work (exit 2 if it cannot be written); its target."""
    if path is None:
        return None
    from hflopt.io._files import output_target

    return output_target(path)


def _add_input_args(p: Any) -> None:
    p.add_argument("--max-input-size", type=size, metavar="SIZE",
                   help="read at most SIZE bytes from an input file, after decompression "
                        "(e.g. 4G; default 1G or $HFLOPT_MAX_INPUT_SIZE)")


def _load(args: argparse.Namespace, path: str) -> Any:
    from hflopt.io import load_instance

    return load_instance(path, format=getattr(args, "format", None))  # size cap: main()


def _err(console_msg: str) -> None:
    print(f"hflopt: {console_msg}", file=sys.stderr)


def _progress_numbers(incumbent: float | None, bound: float | None) -> tuple[str, str]:
    """Incumbent and bound as printed: the bound with as many decimals as the incumbent shows.

    The bound is rounded down (it stays a valid lower bound): an incumbent of
    ``19`` shows a bound of ``18``, not ``18.5499999997``.
    """
    inc = "-" if incumbent is None else f"{incumbent:.10g}"
    if bound is None:
        return inc, "-"
    if incumbent is None or "e" in inc or not math.isfinite(bound):
        return inc, f"{bound:.6g}"
    decimals = len(inc.partition(".")[2])
    scaled = math.floor(bound * 10**decimals + 1e-9) / 10**decimals
    return inc, f"{scaled:.{decimals}f}"


class _ProgressLine:
    """Shows incumbent, bound, gap and elapsed time on stderr while solving.

    On a terminal: one live status line. Otherwise (``--progress`` into a log
    or a pipe): a plain line whenever the incumbent or the bound changes, and
    at least every :attr:`LOG_SECONDS` -- a heartbeat thread repeats the last
    state when the solver reports nothing for that long (HiGHS's presolve,
    an LP round).
    """

    LOG_SECONDS = 10.0

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._status: Any = None
        self._last: tuple[str, str] | None = None
        self._text = ""
        self._printed = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()

    def __enter__(self) -> _ProgressLine:
        self._t0 = time.monotonic()
        if self.enabled and sys.stderr.isatty():
            from rich.console import Console

            self._console = Console(stderr=True)
            self._status = self._console.status("solving ...")
            self._status.__enter__()
        elif self.enabled:
            self._printed = self._t0
            self._thread = threading.Thread(target=self._heartbeat, name="hflopt-progress", daemon=True)
            self._thread.start()
        return self

    def _heartbeat(self) -> None:
        while not self._stop.wait(min(1.0, self.LOG_SECONDS / 4)):
            with self._lock:
                now = time.monotonic()
                if now - self._printed >= self.LOG_SECONDS:
                    text = self._text or "solving ..."
                    self._emit(f"{text}  {now - self._t0:.0f} s", now)

    def _emit(self, line: str, now: float) -> None:
        self._printed = now
        try:
            print(f"hflopt: {line}", file=sys.stderr, flush=True)
        except (OSError, ValueError):  # stderr closed: stop reporting, keep solving
            self._stop.set()

    def __call__(self, p: Any) -> None:
        if not self.enabled:
            return
        inc, bnd = _progress_numbers(p.incumbent, p.bound)
        gap = "-" if p.gap is None else f"{p.gap:.3%}"
        phase = f"{p.phase}: " if p.phase else ""
        text = f"{phase}best {inc}  bound {bnd}  gap {gap}"
        if self._status is not None:
            self._status.update(f"{text}  {p.elapsed:.0f} s")
            return
        with self._lock:
            self._text = text
            now = time.monotonic()
            if (inc, bnd) != self._last or now - self._printed >= self.LOG_SECONDS:
                self._last = (inc, bnd)
                self._emit(f"{text}  {p.elapsed:.0f} s", now)

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._status is not None:
            self._status.__exit__(*exc)


# -------------------------------------------------------------------- commands
_SOLVE_EXAMPLES = """\
examples:
  hflopt solve instances/random-10x100.hflopt.json
  hflopt solve city.json --time-limit 60 --gap 1% -o result.json
  hflopt solve city.json -o assignment.csv          one row per device: its aggregator
  hflopt solve city.json --method greedy --plot map.png
  hflopt solve big.json --method lagrangian --time-limit 120 --progress 2> progress.log
  hflopt solve city.json --uncapacitated            the capacity-unaware baseline
  hflopt solve city.json --solver cbc               any Pyomo solver that is installed
"""


@command
def _add_solve(sub: Any) -> None:
    p = sub.add_parser("solve", help="solve an instance file",
                       description="Solve an HFLOP instance and print a summary.",
                       epilog=_SOLVE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="instance file (or folder of CSV tables)")
    p.add_argument("--method", "-m", default="auto", choices=_LazyChoices(_method_choices), metavar="METHOD",
                   help="solution method: %(choices)s (default: auto = heuristic + bound, exact when it fits)")
    p.add_argument("--time-limit", "-t", type=positive_float, metavar="S",
                   help="stop after S seconds with the best solution found")
    p.add_argument("--gap", type=_gap, default=0.0, metavar="G",
                   help="relative gap to stop at: a fraction (0.01) or a percentage (1%%) "
                        "(default 0: prove optimality)")
    p.add_argument("--solver", default="highs", metavar="NAME",
                   help="Pyomo solver for exact methods (default highs; e.g. cbc, glpk, gurobi)")
    p.add_argument("--variant", choices=_LazyChoices(_variant_choices), default="strong", metavar="VARIANT",
                   help="linking constraints of the MILP: %(choices)s (default strong)")
    p.add_argument("--uncapacitated", action="store_true",
                   help="ignore host capacities (capacity-unaware baseline)")
    p.add_argument("--threads", type=int, metavar="N", help="solver threads")
    p.add_argument("--seed", type=whole(0), help="random seed for the solver / heuristics")
    p.add_argument("--solver-option", action="append", type=_solver_option, metavar="KEY=VALUE",
                   dest="solver_options",
                   help="option for the solver of exact/auto/pyomo (HiGHS's own names, e.g. "
                        "mip_heuristic_run_rins=true; repeatable)")
    p.add_argument("--params", metavar="FILE",
                   help="tuning parameters from a TOML or JSON file (a table per method, "
                        "e.g. [exact] core_search = false; docs/cli.md)")
    p.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="one tuning parameter of the method, e.g. core_search=false or "
                        "exact.warm_lp=false for auto (repeatable; after --params)")
    p.add_argument("-o", "--output", metavar="OUT.json|OUT.csv",
                   help="write the result: .json the whole result, .csv one row per device "
                        "(device, host, workload, link_cost)")
    p.add_argument("--plot", metavar="OUT.png", help="draw the solution map to an image file")
    p.add_argument("--format", "-f", help="input format (native, authors, csv, sscflp, ...)")
    p.add_argument("--all-hosts", action="store_true",
                   help="list every open host in the summary (default: the first 20)")
    p.add_argument("--verbose", "-v", action="store_true", help="stream the solver log")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show incumbent/bound/gap while solving (default: when stderr is a terminal; "
                        "into a log or pipe: a line on every change, at least every 10 s)")
    cli_evaluate.add_solve_arguments(p)
    _add_input_args(p)
    p.set_defaults(handler=_cmd_solve)


def _solve_options(args: argparse.Namespace) -> dict[str, Any]:
    """The solve keywords the command line sets: options the method honours, its parameters.

    A flag set for a method that does not honour it is a usage error naming the flag.
    """
    from hflopt.solvers import METHODS

    method = METHODS[args.method]
    given: dict[str, Any] = {
        "time_limit": args.time_limit,
        "gap": args.gap,
        "solver": args.solver,
        "variant": args.variant,
        "uncapacitated": args.uncapacitated,
        "threads": args.threads,
        "seed": args.seed,
        "verbose": args.verbose,
        "solver_options": dict(args.solver_options) if args.solver_options else None,
    }
    options = {}
    for key, value in given.items():
        if key in method.options:
            options[key] = value
        elif value not in (None, False) and not (key == "gap" and value == 0) and not (
            key in ("solver", "variant") and value in ("highs", "strong")
        ):
            flag = "solver-option" if key == "solver_options" else key.replace("_", "-")
            raise UsageError(f"--{flag} does not apply to method {args.method!r}")
    options["params"] = _method_params(args, method)
    return options


def _method_params(args: argparse.Namespace, method: Any) -> Any:
    """The method's parameters: from ``--params FILE`` (its table), then ``--param KEY=VALUE``."""
    from hflopt.solvers import load_params
    from hflopt.solvers.params import params_from_strings

    params = method.params()
    if args.params:
        tables = load_params(args.params)
        params = tables.get(method.name, params)
    if args.param:
        params = params_from_strings(method.params, args.param, base=params)
    return params


#: most open hosts listed in the summary without --all-hosts
_HOST_ROWS = 20


def _cmd_solve(args: argparse.Namespace) -> int:
    output = _result_output(args.output)
    plot = _plot_output(args.plot)
    from hflopt.io._files import check_no_clash

    check_no_clash({"--output": output, "--plot": plot},
                   {"FILE": args.file, "--scenario": getattr(args, "scenario", None),
                    "--params": getattr(args, "params", None)})
    _check_solver(args.solver)
    instance = _load(args, args.file)
    limited, scenario, eval_params = cli_evaluate.latency_instance(args, instance)
    options = _solve_options(args)
    result = _run_solve(args, limited, options)
    evaluation = cli_evaluate.solve_evaluation(instance, result, scenario, eval_params)
    if not args.quiet:
        print(f"instance      {instance.name or args.file}  ({instance.n_hosts} hosts, "
              f"{instance.n_devices} devices, {instance.n_links} links, "
              f"T = {instance.min_participants}, l = {instance.rounds_ratio:g})")
        print(result.summary(max_hosts=None if args.all_hosts else _HOST_ROWS), flush=True)
        if result.solution is not None and not args.all_hosts and result.solution.open_hosts().size > _HOST_ROWS:
            print("(--all-hosts lists every open host)")
        if evaluation is not None:
            print(evaluation.text(), flush=True)
    _write_solve_outputs(args, instance, result, output, plot, evaluation)
    return _STATUS_EXIT[result.status.value]


def _check_solver(solver: str) -> None:
    """A Pyomo solver that is not installed: exit 2 before any work, in command-line words."""
    if solver in ("highs", "appsi_highs"):
        return
    from hflopt.solvers.pyomo_exact import solver_available

    if not solver_available(solver):
        raise UsageError(f"--solver {solver}: not installed or not found by Pyomo (HiGHS comes with "
                         "hflopt: leave --solver out, or give --solver highs)")


#: result files: the whole result as JSON, or one row per device as CSV
_RESULT_SUFFIXES = {".json": "json", "": "json", ".csv": "csv"}


def _result_output(path: str | None) -> Any:
    """Check ``-o`` before any work: JSON (``.json``, no extension, a pipe) or CSV (``.csv``)."""
    target = _output(path)
    if target is None or target.kind == "stream":
        return target
    from hflopt.io._files import uncompressed

    suffix = uncompressed(Path(target.shown)).suffix.lower()
    if suffix not in _RESULT_SUFFIXES:
        raise InstanceError("result files are .json (the whole result) or .csv (one row per device: "
                            "device, host, workload, link_cost)", field="output", value=target.shown)
    return target


def _result_kind(target: Any) -> str:
    from hflopt.io._files import uncompressed

    if target.kind == "stream":
        return "json"
    return _RESULT_SUFFIXES[uncompressed(Path(target.shown)).suffix.lower()]


def _run_solve(args: argparse.Namespace, instance: Any, options: dict[str, Any]) -> Any:
    from hflopt.solvers import METHODS, solve

    show = args.progress if args.progress is not None else (sys.stderr.isatty() and not args.quiet)
    if "progress" not in METHODS[args.method].options:
        return solve(instance, args.method, **options)
    with _ProgressLine(bool(show) and not args.verbose) as line:
        if line.enabled:
            options["progress"] = line
        return solve(instance, args.method, **options)


def _write_solve_outputs(args: argparse.Namespace, instance: Any, result: Any, output: Any,
                         plot: Any, evaluation: Any = None) -> None:
    """Write -o and --plot after the summary is out: a full disk loses no printed result."""
    from hflopt.io._common import dumps_json, write_text_atomic

    if output is not None:
        if _result_kind(output) == "csv":
            text = _assignment_csv(instance, result)
            what = "assignment table"
        else:
            data = result.to_dict()
            if evaluation is not None:
                data["evaluation"] = evaluation.to_dict()
            text = dumps_json(data)
            what = "result"
        write_text_atomic(output, text)
        if not args.quiet:
            print(f"\n{what} written to {args.output}")
    if plot is not None and result.solution is not None:
        from hflopt.plotting import save_solution_map

        save_solution_map(instance, result.solution, plot.shown, title=instance.name)
        if not args.quiet:
            print(f"solution map written to {args.plot}")


def _assignment_csv(instance: Any, result: Any) -> str:
    """One row per device: device, host (empty: not participating), workload, link_cost.

    Without a solution, the header alone.
    """
    import csv
    import io

    from hflopt.io._common import num

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["device", "host", "workload", "link_cost"])
    if result.solution is not None:
        host_of = result.solution.host_of.tolist()
        links = result.solution.link_indices(instance).tolist()
        for i, (j, k) in enumerate(zip(host_of, links, strict=True)):
            writer.writerow([instance.device_ids[i], instance.host_ids[j] if j >= 0 else "",
                             num(instance.workload[i]), num(instance.link_cost[k]) if k >= 0 else ""])
    return buf.getvalue()


def _plot_output(path: str | None) -> Any:
    """Check a --plot path before any work: a writable target with an image type matplotlib knows."""
    target = _output(path)
    if target is None:
        return None
    from hflopt.plotting import check_image_path

    check_image_path(path)
    return target


@command
def _add_info(sub: Any) -> None:
    p = sub.add_parser("info", help="sizes, totals and tightness of an instance",
                       description="Describe an instance: sizes, totals, capacity tightness.",
                       epilog="examples:\n  hflopt info instances/random-10x100.hflopt.json\n"
                              "  hflopt info p1 --json            an SSCFLP file, as JSON",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file")
    p.add_argument("--format", "-f", help="input format")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_input_args(p)
    p.set_defaults(handler=_cmd_info)


def _cmd_info(args: argparse.Namespace) -> int:
    from hflopt.io import detect_format
    from hflopt.solvers import infeasibility_reason

    instance = _load(args, args.file)
    info = instance.describe()
    info["format"] = args.format or detect_format(args.file)
    if instance.metadata.get("layout"):  # SSCFLP files: Holmberg or OR-Library layout
        info["format"] = f"{info['format']} ({instance.metadata['layout']} layout)"
    if instance.metadata.get("reported_optimum") is not None:  # appended to some SSCFLP files
        info["reported_optimum"] = instance.metadata["reported_optimum"]
    reason = infeasibility_reason(instance)
    info["infeasible"] = reason
    if args.json:
        print(json.dumps(info, indent=1, default=str, allow_nan=False))
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
                       "no extension -> csv folder; .txt/.dat -> sscflp).",
                       epilog="examples:\n  hflopt convert instances/random-5x40.json tables/     "
                              "to a folder of CSV tables\n  hflopt convert tables/ city.json.gz            "
                              "          to compressed native JSON",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--format", "--from", "-f", dest="format", help="input format")
    p.add_argument("--to", help="output format (native, authors, csv, sscflp)")
    _add_input_args(p)
    p.set_defaults(handler=_cmd_convert)


def _cmd_convert(args: argparse.Namespace) -> int:
    from hflopt.io import check_output, save_instance

    _, target = check_output(args.output, args.to)
    from hflopt.io._files import check_no_clash

    check_no_clash({"OUT": target}, {"IN": args.input})
    instance = _load(args, args.input)
    fmt = save_instance(instance, args.output, format=args.to)
    print(f"wrote {args.output} ({fmt}: {instance.n_hosts} hosts, {instance.n_devices} devices, "
          f"{instance.n_links} links)")
    return EXIT_OK


# ------------------------------------------------------------------ generate
_GEN_FLAGS = {
    "participation_ratio": "--participation",
    "min_participants": "--participation",
    "rounds_ratio": "--rounds",
    "link_costs": "--link-costs",
    "k": "-k",
}


def _number_or_text(text: str) -> float | str:
    try:
        value = float(text)
    except ValueError:
        return text
    if not math.isfinite(value):
        return text
    return value


def _add_output_args(p: argparse.ArgumentParser, *, seed: bool = True) -> None:
    out = p.add_argument_group("output")
    out.add_argument("-o", "--output", required=True, metavar="OUT",
                     help="file to write (.json -> native; no extension -> csv folder; .txt/.dat -> sscflp)")
    out.add_argument("--to", "--format", dest="to", metavar="FORMAT",
                     help="output format: native, authors, csv, sscflp (default: from the extension)")
    out.add_argument("--name", help="instance name (default: generator, sizes and seed)")
    out.add_argument("--plot", metavar="MAP.png", help="also draw the instance map to an image file")
    out.add_argument("--scenario", metavar="SCN.json",
                     help="also write an inference-latency scenario derived from the coordinates "
                          "(hflopt evaluate --scenario; docs/evaluate.md)")
    out.add_argument("--max-memory", type=size, metavar="SIZE",
                     help="refuse instances estimated to need more memory (e.g. 8G; default half "
                          "the machine's memory or $HFLOPT_MAX_MEMORY)")
    _add_input_args(out)
    if seed:
        out.add_argument("-s", "--seed", type=whole(0), metavar="S",
                         help="random seed; the same seed and parameters give a byte-identical file "
                              "(default: drawn and reported)")


def _add_common_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-p", "--participation", type=float, default=1.0, metavar="P",
                   help="participation ratio p, T = floor(p N) (default 1)")
    p.add_argument("-l", "--rounds", type=float, default=1, metavar="L",
                   help="local rounds per global round l (default 1)")


def _generator_choices(name: str) -> _LazyChoices:
    """A tuple of :mod:`hflopt.generators` as lazy choices (that module loads numpy)."""

    def load() -> Sequence[str]:
        from hflopt import generators

        return getattr(generators, name)

    return _LazyChoices(load)


#: what ``generate metr-la --workload`` takes besides a column or a number (as in
#: generators.WORKLOAD_DISTRIBUTIONS; spelled out so that the parser loads no numpy)
_WORKLOAD_HELP = "constant, uniform, lognormal, a column of the CSV, or one number"


def _add_geometric_args(p: argparse.ArgumentParser, *, clustered: bool) -> None:
    p.add_argument("--hosts", "-e", type=int, required=True, metavar="M", help="number of hosts")
    p.add_argument("--devices", "-d", type=int, required=True, metavar="N", help="number of devices")
    p.add_argument("--region", type=float, nargs=2, default=(100.0, 100.0), metavar=("W", "H"),
                   help="width and height of the region in km (default 100 100)")
    if not clustered:
        p.add_argument("--layout", choices=_generator_choices("LAYOUTS"), default="uniform", metavar="LAYOUT",
                       help="%(choices)s: uniform points, or Gaussian clusters (default uniform)")
    p.add_argument("--clusters", type=int, default=5, metavar="C", help="number of clusters (default 5)")
    p.add_argument("--cluster-std", type=float, default=None, metavar="KM",
                   help="standard deviation of a cluster per axis (default 5%% of the region's "
                        "smaller side)")
    p.add_argument("--cost-per-km", type=float, default=1.0, metavar="X",
                   help="link cost per km of distance (default 1)")
    p.add_argument("--hop-cost", type=float, default=0.0, metavar="X",
                   help="constant added to every link cost (default 0)")
    p.add_argument("--cloud-cost", type=float, default=100.0, metavar="X",
                   help="mean host-cloud cost C_e (default 100)")
    p.add_argument("--cloud-cv", type=float, default=0.0, metavar="CV",
                   help="coefficient of variation of C_e (uniform; default 0 = all equal)")
    p.add_argument("--workload", choices=_generator_choices("WORKLOAD_DISTRIBUTIONS"), default="uniform",
                   metavar="DIST", help="workload distribution: %(choices)s (default uniform)")
    p.add_argument("--workload-mean", type=float, default=10.0, metavar="X", help="mean workload (default 10)")
    p.add_argument("--workload-cv", type=float, default=0.5, metavar="CV",
                   help="coefficient of variation of workloads (default 0.5)")
    p.add_argument("--tightness", type=float, default=1.5, metavar="X",
                   help="total capacity / total workload (default 1.5)")
    p.add_argument("--capacity-cv", type=float, default=0.0, metavar="CV",
                   help="spread of host capacities (default 0 = equal)")
    p.add_argument("-k", "--links-per-device", dest="k", type=int, metavar="K",
                   help="only the K nearest hosts of each device get a link (sparse)")
    p.add_argument("--max-distance", type=float, metavar="KM", help="no links longer than this")
    p.add_argument("--decimals", type=int, metavar="D",
                   help="round costs, workloads and capacities to D decimals (0 = whole numbers)")
    _add_common_model_args(p)


@command
def _add_generate(sub: Any) -> None:
    p = sub.add_parser(
        "generate", help="generate an instance (random, geometric, clustered, graph, metr-la, ...)",
        description="Generate an instance and write it in any supported format. Generators: "
        "random (the LCN 2024 authors' distributions), geometric and clustered (points in a "
        "region, costs from distances), graph (a GraphML/GML/edge-list network, shortest-path "
        "costs), metr-la (sensor locations, k-means edge sites) and metr-la-study (the paper's "
        "20-sensor, 4-cluster study), cflp (the Cornuejols-Sridharan-Thizy facility location "
        "test instances). Same seed and parameters give a byte-identical file.",
        epilog="examples:\n"
        "  hflopt generate random -e 10 -d 100 -p 0.7 -l 4 -s 1 -o random.json\n"
        "  hflopt generate clustered --hosts 8 --devices 150 --clusters 4 -k 4 -s 1 -o city.json "
        "--plot city.png\n"
        "  hflopt generate graph instances/grid-8x8.graphml -k 3 -o grid.json\n"
        "  hflopt generate metr-la-study clusters.dat --locations graph_sensor_locations.csv -o study.json\n"
        "  hflopt generate cflp -m 100 -n 1000 --ratio 5 -s 1 -o cflp.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    kinds = p.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    _add_generate_random(kinds)
    _add_generate_geometric(kinds)
    _add_generate_clustered(kinds)
    _add_generate_graph(kinds)
    _add_generate_metrla(kinds)
    _add_generate_study(kinds)
    _add_generate_cflp(kinds)


def _add_generate_cflp(kinds: Any) -> None:
    """``hflopt generate cflp``: the Cornuejols-Sridharan-Thizy CFLP/SSCFLP test instances."""
    c = kinds.add_parser("cflp", help="Cornuejols-Sridharan-Thizy facility location instances (T = N)",
                         description="The capacitated facility location generator of Cornuejols, Sridharan "
                                     "and Thizy (1991), as used by Holmberg et al., Yang et al. and Gasse "
                                     "et al.: every customer served (p = 1, l = 1), dense links. "
                                     "Docs: docs/generators.md.")
    c.add_argument("--facilities", "-m", type=whole(1), required=True, metavar="M", help="facilities (hosts)")
    c.add_argument("--customers", "-n", type=whole(1), required=True, metavar="N", help="customers (devices)")
    c.add_argument("--ratio", "-r", type=positive_float, default=5.0, metavar="R",
                   help="total capacity / total demand (default 5; the original study: 3, 5, 10)")
    c.add_argument("--fixed-factor", type=nonneg_float, default=1.0, metavar="F",
                   help="multiply every fixed cost (large: few facilities open, each nearly full)")
    c.add_argument("--decimals", type=whole(0), metavar="D", help="round costs to D decimals (default: exact)")
    _add_output_args(c)
    c.set_defaults(handler=_cmd_generate)


def _add_generate_random(kinds: Any) -> None:
    """``hflopt generate`` from the authors' random generator."""
    r = kinds.add_parser("random", help="the authors' random generator (uniform integers)",
                         description="The LCN 2024 authors' generator; their flag letters work.")
    r.add_argument("-e", "--hosts", type=int, required=True, metavar="M", help="number of hosts")
    r.add_argument("-d", "--devices", type=int, required=True, metavar="N", help="number of devices")
    r.add_argument("-p", "--participation", type=float, default=1.0, metavar="P",
                   help="participation ratio (default 1)")
    r.add_argument("-l", "--rounds", type=float, default=1, metavar="L",
                   help="local rounds per global round (default 1)")
    r.add_argument("-C", "--max-capacity", type=float, default=None, metavar="C",
                   help="capacities U{0..C} (default 100; see --runtime-capacity)")
    r.add_argument("-D", "--max-workload", type=int, default=10, metavar="DMAX",
                   help="workloads U{0..DMAX} (default 10)")
    r.add_argument("--min-cost", type=int, default=0, help="smallest cost (default 0)")
    r.add_argument("--max-cost", type=int, default=10, help="largest cost (default 10)")
    r.add_argument("--zero-cost-lan", action="store_true",
                   help="each device: cost 0 to one random host, 1 to the others")
    r.add_argument("--runtime-capacity", action="store_true",
                   help="C = 10 N DMAX / M, as in the authors' runtime study")
    _add_output_args(r)
    r.set_defaults(handler=_cmd_generate)


def _add_generate_geometric(kinds: Any) -> None:
    """``hflopt generate`` from points in a region."""
    g = kinds.add_parser("geometric", help="hosts and devices in a 2-D region, costs from distances")
    _add_geometric_args(g, clustered=False)
    _add_output_args(g)
    g.set_defaults(handler=_cmd_generate)


def _add_generate_clustered(kinds: Any) -> None:
    """``hflopt generate`` from points in Gaussian clusters."""
    c = kinds.add_parser("clustered", help="geometric, with devices and hosts in Gaussian clusters")
    _add_geometric_args(c, clustered=True)
    _add_output_args(c)
    c.set_defaults(handler=_cmd_generate)


def _add_generate_graph(kinds: Any) -> None:
    """``hflopt generate`` from a network graph file."""
    gr = kinds.add_parser(
        "graph", help="a network graph file (GraphML, GML, edge list); shortest-path costs",
        description="Costs are shortest-path lengths in the graph. Hosts and devices come from "
        "--hosts/--devices or from node attributes (role=host/device, capacity, workload).")
    gr.add_argument("graph", metavar="FILE", help="graph file (.graphml, .gml, .edgelist, .edges)")
    gr.add_argument("--graph-format", choices=("graphml", "gml", "edgelist"),
                    help="graph file format (default: from the extension)")
    gr.add_argument("--hosts", metavar="NODES", help="comma-separated host nodes (default: by role)")
    gr.add_argument("--devices", metavar="NODES",
                    help="comma-separated device nodes (default: by role); 'rest' = all non-hosts")
    gr.add_argument("--capacity", default="capacity", metavar="ATTR|X",
                    help="node attribute with host capacities, or one number (default: capacity)")
    gr.add_argument("--workload", default="workload", metavar="ATTR|X",
                    help="node attribute with device workloads, or one number (default: workload)")
    gr.add_argument("--cloud", metavar="NODE|X",
                    help="cloud node (C_e = shortest path to it) or one cost for every host "
                         "(default: graph attribute 'cloud', else host attribute cloud_cost, else 0)")
    gr.add_argument("--weight", default="weight", metavar="ATTR",
                    help="edge attribute with the weights (default: weight); 'none' = hop count")
    gr.add_argument("-k", "--links-per-device", dest="k", type=int, metavar="K",
                    help="only the K nearest hosts of each device get a link")
    gr.add_argument("--cutoff", type=float, metavar="X", help="no links longer than this")
    gr.add_argument("--on-unreachable", choices=("warn", "error"), default="warn",
                    help="devices that reach no host: warn (default) or fail")
    gr.add_argument("-p", "--participation", type=float, metavar="P",
                    help="participation ratio (default: graph attribute, else 1)")
    gr.add_argument("-l", "--rounds", type=float, metavar="L",
                    help="local rounds per global round (default: graph attribute, else 1)")
    _add_output_args(gr, seed=False)
    gr.set_defaults(handler=_cmd_generate)


def _add_generate_metrla(kinds: Any) -> None:
    """``hflopt generate`` from sensor locations with k-means sites."""
    ml = kinds.add_parser(
        "metr-la", help="sensors from a locations CSV as devices, k-means edge sites as hosts",
        description="Sensors (e.g. METR-LA's graph_sensor_locations.csv: sensor_id, latitude, "
        "longitude) become devices; M edge sites are placed by seeded k-means.")
    ml.add_argument("locations", metavar="CSV", help="sensor locations CSV")
    ml.add_argument("--sites", type=int, required=True, metavar="M", help="number of edge sites (hosts)")
    ml.add_argument("--sensors", metavar="FILE", help="only the sensors listed in this subset file")
    ml.add_argument("--cluster-by", choices=("position", "longitude"), default="position",
                    help="k-means on 2-D position or on longitude only (the paper) (default position)")
    ml.add_argument("--link-costs", choices=("distance", "lan"), default="distance",
                    help="great-circle distance costs, or 0 to the own site and 1 to others")
    ml.add_argument("--cost-per-km", type=float, default=1.0, metavar="X", help="(default 1)")
    ml.add_argument("--hop-cost", type=float, default=0.0, metavar="X", help="(default 0)")
    ml.add_argument("--cloud-cost", type=float, default=1.0, metavar="X", help="C_e of every site (default 1)")
    ml.add_argument("--capacities", metavar="R1,R2,...", help="one capacity per site (west to east)")
    ml.add_argument("--tightness", type=float, default=1.5, metavar="X",
                    help="total capacity / total workload when --capacities is not given (default 1.5)")
    ml.add_argument("--workload", default="uniform", metavar="DIST|COLUMN|X",
                    help=_WORKLOAD_HELP)
    ml.add_argument("--workload-mean", type=float, default=10.0, metavar="X", help="(default 10)")
    ml.add_argument("--workload-cv", type=float, default=0.5, metavar="CV", help="(default 0.5)")
    ml.add_argument("-k", "--links-per-device", dest="k", type=int, metavar="K",
                    help="only the K nearest sites of each sensor get a link")
    ml.add_argument("--decimals", type=int, metavar="D", help="round costs, workloads, capacities")
    _add_common_model_args(ml)
    _add_output_args(ml)
    ml.set_defaults(handler=_cmd_generate)


def _add_generate_study(kinds: Any) -> None:
    """``hflopt generate`` from the paper's METR-LA study."""
    st = kinds.add_parser(
        "metr-la-study", help="the paper's 20-sensor, 4-cluster METR-LA study",
        description="Rebuild the LCN 2024 METR-LA study from its sensor subset file "
        "(clusters.dat): one host per cluster, capacities 40,120,40,120, zero-cost LAN, "
        "unit cloud costs, p = 1, l = 4, workloads U{0..floor(1.7 sum(R) / N)}.")
    st.add_argument("subset", metavar="FILE", help="the study's sensor file (clusters.dat)")
    st.add_argument("--locations", metavar="CSV",
                    help="sensor locations CSV: re-run the paper's k-means and report whether the "
                         "clusters match")
    st.add_argument("--capacities", default="40,120,40,120", metavar="R1,R2,...",
                    help="one capacity per cluster (default 40,120,40,120)")
    st.add_argument("--link-costs", choices=("lan", "distance"), default="lan",
                    help="zero-cost LAN (the paper) or great-circle km")
    st.add_argument("-D", "--max-workload", type=int, metavar="DMAX",
                    help="workloads U{0..DMAX} (default floor(1.7 sum(R) / N))")
    st.add_argument("-p", "--participation", type=float, default=1.0, metavar="P", help="(default 1)")
    st.add_argument("-l", "--rounds", type=float, default=4, metavar="L", help="(default 4)")
    _add_output_args(st)
    st.set_defaults(handler=_cmd_generate)


def _node_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def _number_list(text: str | None, flag: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise UsageError(f"{flag}: expected comma-separated numbers, got {text!r}") from None


def _generate_graph(args: argparse.Namespace) -> Any:
    import warnings

    from hflopt.io._common import uncompressed
    from hflopt.io.graphs import UnreachableDevicesWarning, instance_from_graph, read_graph

    G = read_graph(args.graph, args.graph_format)
    hosts = _node_list(args.hosts)
    devices = _node_list(args.devices)
    if devices == ["rest"]:
        if hosts is None:
            raise UsageError("--devices rest needs --hosts")
        devices = [v for v in G.nodes if str(v) not in set(hosts) and v != args.cloud]
    kwargs: dict[str, Any] = {}
    if args.participation is not None:
        kwargs["participation_ratio"] = args.participation
    if args.rounds is not None:
        kwargs["rounds_ratio"] = args.rounds
    cloud: Any = None
    cloud_node = None
    if args.cloud is not None:
        if args.cloud in G:
            cloud_node = args.cloud
        else:
            cloud = _number_or_text(args.cloud)
            if isinstance(cloud, str):
                raise UsageError(f"--cloud: {args.cloud!r} is neither a node of the graph nor a number")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnreachableDevicesWarning)
        inst = instance_from_graph(
            G, hosts=hosts, devices=devices, cloud=cloud, cloud_node=cloud_node,
            weight=None if args.weight.lower() == "none" else args.weight,
            capacity=_number_or_text(args.capacity), workload=_number_or_text(args.workload),
            k=args.k, cutoff=args.cutoff, on_unreachable=args.on_unreachable,
            name=args.name or str(G.graph.get("name") or uncompressed(Path(args.graph)).stem), **kwargs,
        )
    for w in caught:
        if issubclass(w.category, UnreachableDevicesWarning):
            _err(f"warning: {args.graph}: {w.message}")
    return inst


def _generate(args: argparse.Namespace) -> Any:
    from hflopt import generators, metrla

    kind = args.kind
    if kind == "random":
        cap = args.max_capacity
        if args.runtime_capacity:
            if cap is not None:
                raise UsageError("give either -C/--max-capacity or --runtime-capacity")
            cap = generators.authors_runtime_capacity(args.devices, args.hosts, args.max_workload)
        return generators.random_instance(
            args.hosts, args.devices, participation=args.participation, rounds=args.rounds,
            max_capacity=100 if cap is None else cap, max_workload=args.max_workload,
            min_cost=args.min_cost, max_cost=args.max_cost, zero_cost_lan=args.zero_cost_lan,
            seed=args.seed, name=args.name,
        )
    if kind in ("geometric", "clustered"):
        options = {
            "region": tuple(args.region), "clusters": args.clusters, "cost_per_km": args.cost_per_km,
            "hop_cost": args.hop_cost, "cloud_cost": args.cloud_cost, "cloud_cv": args.cloud_cv,
            "workload": args.workload, "workload_mean": args.workload_mean,
            "workload_cv": args.workload_cv, "tightness": args.tightness,
            "capacity_cv": args.capacity_cv, "k": args.k, "max_distance": args.max_distance,
            "decimals": args.decimals, "participation": args.participation, "rounds": args.rounds,
            "seed": args.seed, "name": args.name,
        }
        if kind == "clustered":
            return generators.clustered_instance(args.hosts, args.devices, cluster_std=args.cluster_std,
                                                 **options)
        if args.cluster_std is not None:
            options["cluster_std"] = args.cluster_std
        elif args.layout == "clusters":
            options["cluster_std"] = 0.05 * min(args.region)
        return generators.geometric_instance(args.hosts, args.devices, layout=args.layout, **options)
    if kind == "graph":
        return _generate_graph(args)
    if kind == "cflp":
        from hflopt.cflp import cflp_instance

        return cflp_instance(args.facilities, args.customers, ratio=args.ratio, fixed_factor=args.fixed_factor,
                             decimals=args.decimals, seed=args.seed, name=args.name)
    if kind == "metr-la":
        seed = args.seed if args.seed is not None else 0
        return metrla.sensor_instance(
            args.locations, args.sites, sensors=args.sensors, cluster_by=args.cluster_by,
            link_costs=args.link_costs, cost_per_km=args.cost_per_km, hop_cost=args.hop_cost,
            cloud_cost=args.cloud_cost, capacities=_number_list(args.capacities, "--capacities"),
            tightness=args.tightness, workload=_number_or_text(args.workload),
            workload_mean=args.workload_mean, workload_cv=args.workload_cv, k=args.k,
            decimals=args.decimals, participation=args.participation, rounds=args.rounds,
            seed=seed, name=args.name,
        )
    seed = args.seed if args.seed is not None else 0
    return metrla.paper_study(
        args.subset, locations=args.locations, capacities=_number_list(args.capacities, "--capacities"),
        link_costs=args.link_costs, max_workload=args.max_workload, participation=args.participation,
        rounds=args.rounds, seed=seed, name=args.name or "metr-la-study",
    )


def _cmd_generate(args: argparse.Namespace) -> int:
    from hflopt.io import check_output, save_instance

    check_output(args.output, args.to)
    _plot_output(args.plot)
    _output(args.scenario)
    try:
        instance = _generate(args)
    except InstanceError as exc:
        field = exc.field
        if field and not exc.source:
            head = field.split("[", 1)[0]
            flag = _GEN_FLAGS.get(head) or (f"--{head.replace('_', '-')}" if head in vars(args) else None)
            if flag:
                field = flag + field[len(head):]
        raise type(exc)(exc.message, field=field, value=exc.value, source=exc.source) from None
    fmt = save_instance(instance, args.output, format=args.to)
    seed = instance.metadata.get("seed")
    print(f"wrote {args.output} ({fmt}: {instance.n_hosts} hosts, {instance.n_devices} devices, "
          f"{instance.n_links} links, T = {instance.min_participants}, l = {instance.rounds_ratio:g}"
          f"{f'; seed {seed}' if seed is not None else ''})")
    if args.plot:
        from hflopt.plotting import save_instance_map

        save_instance_map(instance, args.plot, title=None)
        print(f"instance map written to {args.plot}")
    if args.scenario:
        _write_scenario(instance, args.scenario, seed)
    return EXIT_OK


def _write_scenario(instance: Any, path: str, seed: Any) -> None:
    """The latency scenario of a generated instance, seeded like it (its defaults: docs/evaluate.md)."""
    from hflopt.evaluate import ScenarioParams, save_scenario, scenario_from_instance

    scenario = scenario_from_instance(instance, ScenarioParams(seed=int(seed or 0)))
    save_scenario(scenario, instance, path)
    coordinates = "from the coordinates" if instance.host_xy is not None else "without coordinates: access latency only"
    print(f"latency scenario written to {path} ({coordinates})")


_COMMANDS += [cli_evaluate.add_evaluate, cli_evaluate.add_reproduce, cli_bench.add_bench, cli_bench.add_bench_plot,
              cli_replan.add_replan]


# ------------------------------------------------------------------------ main
_EXAMPLES = """\
examples:
  hflopt generate clustered --hosts 8 --devices 150 --clusters 4 -k 4 -s 1 -o city.json
  hflopt info city.json
  hflopt solve city.json --time-limit 60 -o result.json --plot city.png
  hflopt evaluate city.json result.json --slo 20ms
  hflopt bench city.json 'random:M=10,N=200,seeds=1-3' --methods exact,greedy -o runs.csv
  hflopt COMMAND --help                      options and examples of one command

exit status: 0 solution found, 1 solver failure, 2 bad input or usage,
3 proven infeasible, 4 no solution within the time limit, 130 interrupted.
"""


def _version_text() -> str:
    from hflopt import __version__

    return f"hflopt {__version__}"


class _VersionAction(argparse.Action):
    """``--version``, reading the installed version only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: Any, *_args: Any) -> None:
        print(_version_text())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hflopt",
        description="Inference load-aware orchestration for hierarchical federated learning: "
        "which edge hosts run an aggregator and which device reports to which.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    parser.add_argument("--log-level", choices=_LOG_LEVELS, default="warning", type=str.lower,
                        help="messages from the library shown on stderr (default: warning; info says what "
                        "the solvers' phases did)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in _COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hflopt`` console script."""
    argv = cli_bench.rewrite(sys.argv[1:] if argv is None else argv)  # bench plot -> bench-plot
    try:
        if _asks_version(argv):  # before the parser: no module beyond the standard library
            print(_version_text())
            return EXIT_OK
        args = build_parser().parse_args(argv)
        if not _preload(args.command):
            raise KeyboardInterrupt
    except KeyboardInterrupt:  # Ctrl-C while the modules load
        _err("interrupted")
        return 130
    previous_hook = warnings.showwarning
    warnings.showwarning = _show_warning
    restore_logging = _log_to_stderr(args.log_level)
    try:
        return _run(args)
    except BrokenPipeError:  # e.g. `hflopt solve ... | head`: the reader went away
        _silence_stdout()
        return EXIT_OK
    except SolverFailure as exc:  # the solver failed while running: not the user's input
        _err(str(exc))
        return EXIT_SOLVER_ERROR
    except (InstanceError, UsageError, SolverError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    except HfloptError as exc:
        _err(str(exc))
        return EXIT_SOLVER_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except MemoryError:
        _err("out of memory (an instance too large for this machine?)")
        return EXIT_SOLVER_ERROR
    except Exception as exc:  # an hflopt bug: keep the message to one line unless --debug
        if args.debug:
            raise
        _err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return EXIT_SOLVER_ERROR
    finally:
        warnings.showwarning = previous_hook
        restore_logging()


#: modules each command needs, imported before it runs (see :func:`_preload`)
_PRELOAD = {
    "solve": ("hflopt.io", "hflopt.solvers"),
    "info": ("hflopt.io", "hflopt.solvers"),
    "convert": ("hflopt.io",),
    "generate": ("hflopt.generators", "hflopt.io"),
    "evaluate": ("hflopt.io", "hflopt.evaluate"),
    "reproduce": ("hflopt.io", "hflopt.reproduce"),
    "bench": ("hflopt.bench.core", "hflopt.io", "pandas"),
    "bench-plot": ("hflopt.bench.plots", "pandas"),
    "replan": ("hflopt.io", "hflopt.replanning", "hflopt.solvers", "pandas"),
}


def _preload(command: str) -> bool:
    """Import the modules ``command`` needs with Ctrl-C held back; False if it was pressed.

    A Ctrl-C in the middle of a C extension's import (numpy's) does not
    arrive as KeyboardInterrupt but as a misleading ImportError. Here it
    only sets a flag, the imports finish, and the caller reports
    "interrupted". Outside the main thread the imports simply run.
    """
    import importlib
    import signal

    modules = _PRELOAD.get(command, ("numpy",))
    pressed: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, _frame: pressed.append(signum))
    except ValueError:  # not the main thread: no signal handling here
        previous = None
    try:
        for name in modules:
            importlib.import_module(name)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return not pressed


def _asks_version(argv: list[str]) -> bool:
    """True when ``--version`` comes before any command (``hflopt [--debug] --version``)."""
    for token in argv:
        if token == "--version":
            return True
        if not token.startswith("-"):
            return False
    return False


def _run(args: argparse.Namespace) -> int:
    """Run the sub-command under the size caps given on the command line."""
    from hflopt.limits import input_limit, memory_limit

    with input_limit(getattr(args, "max_input_size", None)), memory_limit(getattr(args, "max_memory", None)):
        return int(args.handler(args))


_LOG_LEVELS = ("debug", "info", "warning", "error")


def _log_to_stderr(level: str) -> Callable[[], None]:
    """Show the library's log records of ``level`` and above on stderr as ``hflopt: message`` lines;
    returns the function that puts the logger back as it was."""
    logger = logging.getLogger("hflopt")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("hflopt: %(message)s"))
    before = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(before[0])
        logger.propagate = before[1]

    return restore


def _show_warning(message: Any, *_where: Any) -> None:
    """Warnings on the command line: one line, no source code."""
    _err(f"warning: {message}")


def _silence_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that exiting does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
