"""``hflopt bench`` and ``hflopt bench plot``: the command line of :mod:`hflopt.bench`.

Registered by :mod:`hflopt.cli`; ``hflopt bench plot ...`` reaches
``bench-plot`` (see :func:`rewrite`). Bad input raises
:class:`~hflopt.InstanceError` (one line, exit status 2) before any run
starts; a run that fails is a row of the results, never the end of the batch.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from typing import Any

from hflopt.cli_types import nonneg_float, positive_float, size, whole
from hflopt.errors import InstanceError

__all__ = ["add_bench", "add_bench_plot", "rewrite"]

_EXAMPLES = """\
examples:
  hflopt bench instances/ --methods exact,greedy,core-search --time-limit 30 -o runs.csv
  hflopt bench ../shared/data/sscflp/holmberg --methods exact,lagrangian --jobs 2 -o holmberg.csv
  hflopt bench 'random:M=50,N=1000,p=0.7,l=4,D=20,C=runtime,seeds=0-4' --repeat 2 -o authors.parquet
  hflopt bench 'geometric:M=20,N=2000,k=5,seeds=1-3' list.csv --dask local --jobs 2
  hflopt bench city.json --dask tcp://scheduler:8786 -o runs.csv
  hflopt bench plot runs.csv figures/        gap vs time, runtime vs size, performance profile

instances: files, folders (every instance file; an 'os' or 'optima' file gives known
optima), CSV lists (a path column, optionally best_known), or generator specs
KIND:key=value,... with KIND random, geometric or clustered, M hosts, N devices,
seeds=A-B, and any generator keyword (p, l, k, D, C, region=WxH, ...).
Results: one row per run (CSV or Parquet) and a summary per method, printed and
written next to the results as NAME.summary.md. Docs: docs/benchmarks.md.
"""


def add_bench(sub: Any) -> None:
    """Register ``hflopt bench``."""
    from hflopt.bench.params import DEFAULT_METHODS

    p = sub.add_parser("bench", help="benchmark methods on instances (local processes or Dask)",
                       description="Run every method on every instance, each run in its own process that is\n"
                                   "killed at its time limit plus a grace period; print a summary per method.",
                       epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("instances", nargs="+", metavar="INSTANCE",
                   help="instance file, folder, CSV list or generator spec (or: plot RESULTS DIR)")
    p.add_argument("--methods", "-m", default=",".join(DEFAULT_METHODS), metavar="LIST",
                   help="comma-separated methods (default %(default)s; label=method for a second copy)")
    p.add_argument("--time-limit", "-t", type=positive_float, default=60.0, metavar="S",
                   help="seconds per run (default 60)")
    p.add_argument("--grace", type=nonneg_float, default=10.0, metavar="S",
                   help="kill a run this long after its time limit (default 10)")
    p.add_argument("--repeat", type=whole(1), default=1, metavar="K", help="runs per instance and method")
    p.add_argument("--seed", type=whole(0), default=0, metavar="S",
                   help="solver seed of the first repeat; repeat k gets S + k (default 0)")
    p.add_argument("--threads", type=whole(1), metavar="N", help="solver threads per run")
    p.add_argument("--jobs", "-j", type=whole(1), default=1, metavar="J",
                   help="runs at a time (default 1: timings undisturbed)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on a Dask cluster: a scheduler address, or 'local' for a LocalCluster of J workers")
    p.add_argument("--reference", metavar="METHOD",
                   help="speed-ups are measured against this method, one of --methods (default exact)")
    p.add_argument("-o", "--output", metavar="RESULTS.csv",
                   help="write one row per run (.csv, .csv.gz, or .parquet with pyarrow) and the summary "
                        "next to it (RESULTS.summary.md)")
    p.add_argument("--format", "-f", help="read every instance file in this format")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    p.add_argument("--max-input-size", type=size, metavar="SIZE",
                   help="read at most SIZE bytes from an instance file (e.g. 4G; default 1G)")
    p.set_defaults(handler=_cmd_bench)


def add_bench_plot(sub: Any) -> None:
    """Register ``hflopt bench plot`` (as ``bench-plot``)."""
    p = sub.add_parser("bench-plot", help="plots of a bench results table (also: hflopt bench plot)",
                       description="Draw gap vs time, runtime vs size and the performance profile of a "
                                   "results table into a folder.",
                       epilog="example:\n  hflopt bench plot runs.csv figures/",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", help="results table of hflopt bench -o (.csv or .parquet)")
    p.add_argument("folder", metavar="DIR", help="folder for the images (made if missing)")
    p.add_argument("--type", default="png", metavar="EXT", help="image type: png, svg, pdf, ... (default png)")
    p.set_defaults(handler=_cmd_bench_plot)


def rewrite(argv: Sequence[str]) -> list[str]:
    """``hflopt [options] bench plot ...`` -> ``... bench-plot ...`` (argparse has no default sub-command)."""
    out = list(argv)
    for k, token in enumerate(out):
        if not token.startswith("-"):
            if token == "bench" and k + 1 < len(out) and out[k + 1] == "plot":
                out[k:k + 2] = ["bench-plot"]
            break
    return out


def _params(args: argparse.Namespace) -> Any:
    from hflopt.bench.params import BenchParams

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    params = BenchParams(methods=tuple(methods), time_limit=args.time_limit, grace=args.grace, repeat=args.repeat,
                         seed=args.seed, threads=args.threads, jobs=args.jobs, dask=args.dask,
                         reference=args.reference or "exact", max_input_size=args.max_input_size)
    params.check_methods()
    labels = [spec.label for spec in params.specs]
    if args.reference is not None and args.reference not in labels:
        raise InstanceError(f"is not one of the methods run ({', '.join(labels)})", field="--reference",
                            value=args.reference)
    return params


class _RunLog:
    """Progress of a batch: a rich progress bar on a terminal, one plain line per run otherwise."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total = total
        self.bar: Any = None
        self.enabled = not quiet
        if self.enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("[bold]bench[/]"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), TextColumn("{task.description}"),
                                console=Console(stderr=True))
            self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> _RunLog:
        if self.bar is not None:
            self.bar.start()
        return self

    def __call__(self, row: dict[str, Any], done: int, total: int) -> None:
        seconds = row.get("seconds")
        took = f" {seconds:.2f} s" if isinstance(seconds, float) and math.isfinite(seconds) else ""
        text = f"{row['instance']} {row['method']}: {row['status']}{took}"
        if self.bar is not None:
            self.bar.update(self.task, completed=done, description=text)
        elif self.enabled:
            print(f"hflopt: [{done}/{total}] {text}", file=sys.stderr, flush=True)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.stop()


def _cmd_bench(args: argparse.Namespace) -> int:
    from hflopt.bench.core import make_tasks, results_frame
    from hflopt.bench.results import check_results_path, save_results
    from hflopt.bench.sources import expand_instances
    from hflopt.bench.summary import summarize, summary_markdown

    target = check_results_path(args.output) if args.output else None
    params = _params(args)
    sources = expand_instances(args.instances, format=args.format)
    tasks = make_tasks(sources, params)
    if params.dask is not None:
        from hflopt.bench.executors import _distributed

        _distributed()  # a clear message before anything starts
    with _RunLog(len(tasks), args.quiet) as log:
        rows = _run(tasks, params, log)
    frame = results_frame(rows, sources)
    text = summary_markdown(summarize(frame, reference=params.reference), reference=params.reference)
    failed = frame[frame["status"].isin(("error", "crashed", "killed"))]
    if not args.quiet:
        print(f"{len(sources)} instance(s), {len(params.specs)} method(s), {len(frame)} run(s); time limit "
              f"{params.time_limit:g} s{'; ' + params.dask if params.dask else ''}\n")
        print(text, flush=True)
        if len(failed):
            print(f"\n{len(failed)} run(s) failed, were killed or crashed: see the status and message columns"
                  + ("" if target else " (-o writes them)"))
    if target is not None:
        save_results(frame, target, summary=text)
        if not args.quiet:
            where = f" and {target.summary.shown}" if target.summary is not None else ""
            print(f"\nresults written to {target.table.shown}{where}")
    return 0


def _run(tasks: list[Any], params: Any, log: _RunLog) -> list[dict[str, Any]]:
    from hflopt.bench.core import execute_tasks

    return execute_tasks(tasks, params, None, log)


def _cmd_bench_plot(args: argparse.Namespace) -> int:
    from hflopt.bench.plots import check_plot_folder, save_plots
    from hflopt.bench.results import load_results

    check_plot_folder(args.folder, args.type)
    frame = load_results(args.results)
    for path in save_plots(frame, args.folder, image_type=args.type):
        print(f"wrote {path}")
    return 0
