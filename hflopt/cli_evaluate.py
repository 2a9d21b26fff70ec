"""Command-line parts of the evaluation: ``hflopt evaluate``, ``hflopt reproduce``, ``solve --evaluate``.

Kept apart from :mod:`hflopt.cli` (which registers them) so that the solve
command only gains a few lines. Bad input raises
:class:`~hflopt.InstanceError`, which the CLI prints as one line with exit
status 2; every input is checked before anything is written.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from hflopt.errors import InstanceError

__all__ = ["add_evaluate", "add_reproduce", "add_solve_arguments", "latency_instance", "solve_evaluation"]


# ----------------------------------------------------------------- arguments
def _add_model_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("evaluation")
    g.add_argument("--model-size", type=float, default=1.15, metavar="MB",
                   help="model size S in MB for the traffic (default 1.15, the paper's GRU)")
    g.add_argument("--global-rounds", type=int, default=10, metavar="G", help="HFL global rounds (default 10)")
    g.add_argument("--global-rounds-flat", type=int, default=20, metavar="G",
                   help="flat FL rounds (default 20)")
    g.add_argument("--rounds-ratio", type=float, metavar="L", help="l for the traffic (default: the instance's)")
    g.add_argument("--unit-costs", action="store_true", help="count every transfer as min(1, cost)")
    g.add_argument("--scenario", metavar="FILE",
                   help="inference scenario (JSON); default: derived from the instance (seeded by --seed)")
    g.add_argument("--queue", choices=("mm1", "md1"), default="mm1", help="queue model (default mm1)")
    g.add_argument("--offload", choices=("excess", "all"), default="excess",
                   help="devices offload the excess over their own capacity (default) or all requests")
    g.add_argument("--slo", metavar="DURATION", help="report the share of requests slower than this (e.g. 20ms)")
    g.add_argument("--simulate", type=int, metavar="N", help="also simulate N requests per setup (SimPy)")


def add_solve_arguments(p: argparse.ArgumentParser) -> None:
    """``solve`` options: latency-aware capacities and ``--evaluate``."""
    g = p.add_argument_group("latency-aware capacity")
    g.add_argument("--max-utilization", metavar="U", help="load every host to at most U x its capacity (0 < U <= 1)")
    g.add_argument("--latency-slo", metavar="DURATION",
                   help="mean M/M/1 sojourn at every aggregator at most this (20ms, 0.02s; bare number = ms); "
                        "with --scenario also drops links slower than it")
    g.add_argument("--link-latency-limit", metavar="DURATION", help="drop links slower than this (needs --scenario)")
    g.add_argument("--rate-unit", type=float, default=1.0, metavar="X",
                   help="requests/s per unit of workload and capacity (default 1)")
    p.add_argument("--evaluate", action="store_true",
                   help="also evaluate traffic and inference latency (printed, and in the -o JSON)")
    _add_model_arguments(p)


def _positive_int(name: str, value: Any) -> None:
    if value is not None and value < 1:
        raise InstanceError("must be a whole number >= 1", field=name, value=value)


def _check_args(args: argparse.Namespace) -> None:
    for name in ("model_size",):
        value = getattr(args, name)
        if not (value > 0 and math.isfinite(value)):
            raise InstanceError("must be a number > 0", field=f"--{name.replace('_', '-')}", value=value)
    for name in ("global_rounds", "global_rounds_flat", "simulate"):
        _positive_int(f"--{name.replace('_', '-')}", getattr(args, name))
    if args.rounds_ratio is not None and not (args.rounds_ratio >= 1 and math.isfinite(args.rounds_ratio)):
        raise InstanceError("must be a number >= 1", field="--rounds-ratio", value=args.rounds_ratio)


def _evaluation_params(args: argparse.Namespace) -> Any:
    from hflopt.evaluate import CommCostParams, LatencyParams, RoutingParams, parse_duration_ms
    from hflopt.evaluate.report import EvaluationParams

    _check_args(args)
    slo = None if args.slo is None else parse_duration_ms(args.slo, field="--slo")
    seed = args.seed if args.seed is not None else 0
    if seed < 0:
        raise InstanceError("must be a whole number >= 0", field="--seed", value=seed)
    comm = CommCostParams(args.model_size, args.global_rounds, args.global_rounds_flat, args.rounds_ratio,
                          args.unit_costs)
    lat = LatencyParams(model=args.queue, slo_ms=slo, routing=RoutingParams(offload=args.offload))
    return EvaluationParams(comm, lat, args.simulate, seed)


def _scenario(args: argparse.Namespace, instance: Any) -> Any:
    from hflopt.evaluate import load_scenario

    return None if args.scenario is None else load_scenario(args.scenario, instance)


# ----------------------------------------------------------------- solve
def latency_instance(args: argparse.Namespace, instance: Any) -> tuple[Any, Any, Any]:
    """Check the evaluation options, load the scenario, apply the latency limits.

    Returns ``(instance to solve, scenario or None, evaluation params or None)``;
    raises before any work when an option is bad.
    """
    from hflopt.evaluate import LatencyLimits, latency_limited

    if not args.evaluate:
        given = [flag for flag, value in (("--simulate", args.simulate), ("--slo", args.slo)) if value is not None]
        if given:
            raise InstanceError("needs --evaluate", field=given[0], value=getattr(args, given[0][2:]))
    scenario = _scenario(args, instance)
    params = _evaluation_params(args) if args.evaluate else None
    limits = LatencyLimits.parse(max_utilization=args.max_utilization, latency_slo=args.latency_slo,
                                 link_latency_limit=args.link_latency_limit, rate_unit=args.rate_unit)
    return latency_limited(instance, limits, scenario), scenario, params


def solve_evaluation(instance: Any, result: Any, scenario: Any, params: Any) -> Any:
    """The evaluation of a solve's solution on the original instance (None without one)."""
    from hflopt.evaluate.report import evaluate_solution

    if params is None or result.solution is None:
        return None
    return evaluate_solution(instance, result.solution, scenario, params)


# ----------------------------------------------------------------- evaluate
def add_evaluate(sub: Any) -> None:
    """Register ``hflopt evaluate``."""
    p = sub.add_parser("evaluate", help="training traffic and inference latency of a result",
                       description="Evaluate a solve result: traffic of one training run against flat FL, "
                                   "and inference latency (analytical, optionally simulated).")
    p.add_argument("instance", help="instance file")
    p.add_argument("result", help="result JSON (hflopt solve -o, or the authors' solver output)")
    p.add_argument("--format", "-f", help="instance format")
    p.add_argument("--seed", type=int, help="seed of the derived scenario and the simulation (default 0)")
    p.add_argument("--plot", metavar="OUT.png", help="traffic bars and latency CDFs to an image file")
    p.add_argument("-o", "--output", metavar="OUT.json", help="write the evaluation as JSON")
    p.add_argument("--save-scenario", metavar="FILE.json", help="write the scenario used (to edit and reuse)")
    _add_model_arguments(p)
    p.set_defaults(handler=_cmd_evaluate)


def _check_outputs(*paths: str | None, plot: str | None = None, inputs: dict[str, Any] | None = None) -> None:
    """Check every output path before any work (see :func:`hflopt.io._files.output_target`):
    writable, and neither one of ``inputs`` (option -> path) nor another output."""
    from hflopt.io._files import check_no_clash, output_target

    targets = {f"output {path}": output_target(path) for path in (*paths, plot) if path is not None}
    check_no_clash(targets, inputs or {})
    if plot is not None:
        from hflopt.plotting import check_image_path

        check_image_path(plot)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from hflopt.evaluate.report import evaluate_solution
    from hflopt.evaluate.results import read_result
    from hflopt.io import load_instance
    from hflopt.io._common import dumps_json, write_text_atomic

    _check_outputs(args.output, args.save_scenario, plot=args.plot,
                   inputs={"INSTANCE": args.instance, "RESULT": args.result, "--scenario": args.scenario})
    params = _evaluation_params(args)
    instance = load_instance(args.instance, format=args.format)
    solution = read_result(args.result, instance)
    scenario = _scenario(args, instance)
    ev = evaluate_solution(instance, solution, scenario, params)
    print(f"instance      {instance.name or args.instance}  ({instance.n_hosts} hosts, {instance.n_devices} devices)")
    print(ev.text(), flush=True)  # before the outputs: a full disk loses no printed result
    if args.output:
        write_text_atomic(args.output, dumps_json(ev.to_dict()))
    if args.save_scenario:
        from hflopt.evaluate import save_scenario

        save_scenario(ev.scenario, instance, args.save_scenario)
    if args.plot:
        from hflopt.evaluate.plots import save_evaluation_plot

        save_evaluation_plot(ev, args.plot)
    for label, path in (("evaluation", args.output), ("scenario", args.save_scenario), ("plot", args.plot)):
        if path:
            print(f"{label} written to {path}")
    return 0


# ----------------------------------------------------------------- reproduce
def add_reproduce(sub: Any) -> None:
    """Register ``hflopt reproduce costs|latency``."""
    p = sub.add_parser("reproduce", help="regenerate the paper's cost and latency tables",
                       description="Regenerate one of the paper's two tables and print it beside the "
                                   "published figures (docs/evaluate.md).")
    kinds = p.add_subparsers(dest="table", metavar="TABLE")
    kinds.required = True
    c = kinds.add_parser("costs", help="traffic savings vs flat FL by edge density")
    c.add_argument("--devices", type=int, default=1000, metavar="N", help="devices (default 1000)")
    c.add_argument("--densities", default="2,4,8,16,32,64", metavar="D1,D2,...",
                   help="devices per host (default 2,4,8,16,32,64)")
    c.add_argument("--seeds", type=int, default=10, metavar="K", help="samples per density (default 10)")
    c.add_argument("--first-seed", type=int, default=0, metavar="S", help="first seed (default 0)")
    c.add_argument("--time-limit", type=float, default=10.0, metavar="S",
                   help="seconds per HFLOP solve (default 10)")
    c.add_argument("--workers", type=int, default=2, metavar="W", help="parallel processes (default 2)")
    c.add_argument("--model-size", type=float, default=1.15, metavar="MB", help="S (default 1.15)")
    c.add_argument("--plot", metavar="OUT.png", help="savings by density with 95%% intervals")
    c.add_argument("-o", "--output", metavar="OUT.csv", help="every sample as CSV")
    c.set_defaults(handler=_cmd_reproduce_costs)
    lat = kinds.add_parser("latency", help="inference latency on the METR-LA study")
    lat.add_argument("--data", metavar="DIR",
                     help="folder with clusters.dat and graph_sensor_locations.csv "
                          "(default $HFLOPT_SHARED/data/metr-la or ../shared/data/metr-la)")
    lat.add_argument("--requests", type=int, default=2000, metavar="N",
                     help="simulated requests per setup (default 2000, as measured)")
    lat.add_argument("--seed", type=int, default=0, metavar="S", help="seed of latencies and simulation")
    lat.add_argument("--queue", choices=("mm1", "md1"), default="mm1", help="queue model (default mm1)")
    lat.add_argument("--plot", metavar="OUT.png", help="latency box plots per setup and load")
    lat.add_argument("-o", "--output", metavar="OUT.csv", help="the table as CSV")
    lat.set_defaults(handler=_cmd_reproduce_latency)


def _int_list(text: str, flag: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InstanceError("must be whole numbers separated by commas", field=flag, value=text) from None
    if not values:
        raise InstanceError("must list at least one value", field=flag, value=text)
    return values


def _cmd_reproduce_costs(args: argparse.Namespace) -> int:
    import time

    from hflopt.reproduce import CostStudyParams, cost_study, cost_table

    _check_outputs(args.output, plot=args.plot)
    params = CostStudyParams(devices=args.devices, densities=_int_list(args.densities, "--densities"),
                             seeds=args.seeds, first_seed=args.first_seed, time_limit=args.time_limit,
                             workers=args.workers, model_size_mb=args.model_size)
    if args.first_seed < 0:
        raise InstanceError("must be >= 0", field="--first-seed", value=args.first_seed)
    start = time.perf_counter()
    total = len(params.densities) * params.seeds

    def progress(rows: list[dict[str, Any]]) -> None:
        progress.done += 1  # type: ignore[attr-defined]
        print(f"  [{progress.done}/{total}] density {rows[0]['density']} seed {rows[0]['seed']}: "  # type: ignore[attr-defined]
              + ", ".join(f"{r['setup']} {r['savings']:.2f}% ({r['status']}, {r['seconds']:.1f} s)" for r in rows),
              file=sys.stderr, flush=True)

    progress.done = 0  # type: ignore[attr-defined]
    samples = cost_study(params, progress)
    wall = time.perf_counter() - start
    table = cost_table(samples)
    print(_format_cost_table(table, params, wall))
    if args.output:
        from hflopt.io._common import write_text_atomic

        write_text_atomic(args.output, samples.to_csv(index=False))
        print(f"samples written to {args.output}")
    if args.plot:
        from hflopt.evaluate.plots import new_figure, plot_cost_savings, save_figure
        from hflopt.reproduce import PUBLISHED_COST_SAVINGS

        fig, (ax,) = new_figure(1, (7.0, 4.5))
        plot_cost_savings(table, ax=ax, published=PUBLISHED_COST_SAVINGS)
        save_figure(fig, args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _format_cost_table(table: Any, params: Any, wall: float) -> str:
    lines = [f"Traffic savings vs flat FL (%), N = {params.devices}, {params.seeds} samples per density, "
             f"mean [95% Student-t interval]; HFLOP: {params.method}, {params.time_limit:g} s per solve",
             f"{'density':8} {'setup':22} {'hflopt':>24} {'published':>22} {'proven':>7} {'max gap':>8} "
             f"{'solve s':>8}"]
    for row in table.itertuples():
        ours = f"{row.mean:6.2f} [{row.ci_low:6.2f}, {row.ci_high:6.2f}]"
        pub = f"{row.published:6.2f}" + (f" [{row.published_low:.1f}, {row.published_high:.1f}]"
                                          if not math.isnan(row.published_low) else "")
        skipped = f" ({row.skipped} infeasible skipped)" if row.skipped else ""
        lines.append(f"{row.density:8} {row.setup:22} {ours:>24} {pub:>22} {row.proven:>3}/{row.samples:<3} "
                     f"{row.max_gap:8.2%} {row.seconds:8.1f}{skipped}")
    lines.append(f"wall time {wall:.1f} s on {params.workers} worker(s)")
    return "\n".join(lines)


def _cmd_reproduce_latency(args: argparse.Namespace) -> int:
    import time

    from hflopt.reproduce import LatencyStudyParams, latency_study

    _check_outputs(args.output, plot=args.plot)
    _positive_int("--requests", args.requests)
    if args.seed < 0:
        raise InstanceError("must be >= 0", field="--seed", value=args.seed)
    start = time.perf_counter()
    params = LatencyStudyParams(requests=args.requests, seed=args.seed, model=args.queue)
    table, samples, placements = latency_study(args.data, params)
    print(_format_latency_table(table, placements, params, time.perf_counter() - start))
    if args.output:
        from hflopt.io._common import write_text_atomic

        write_text_atomic(args.output, table.to_csv(index=False))
        print(f"table written to {args.output}")
    if args.plot:
        from hflopt.evaluate.plots import new_figure, plot_latency_box, save_figure

        loads = list(dict.fromkeys(table["load"]))
        fig, axes = new_figure(len(loads), (5.0 * len(loads), 4.5))
        for ax, load in zip(axes, loads, strict=True):
            part = {k.split(" @ ")[0]: v for k, v in samples.items() if k.endswith(f"@ {load}")}
            pub = {r.setup: r.published_mean for r in table[table["load"] == load].itertuples()
                   if r.published_mean is not None and not math.isnan(r.published_mean)}
            plot_latency_box(part, ax=ax, published=pub)
            ax.set_title(f"{load} request rate (simulated, {params.requests:,} requests)")
            ax.set_yscale("log")
        save_figure(fig, args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _ms(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "inf" if math.isinf(x) else f"{x:.1f}"


def _format_latency_table(table: Any, placements: dict[str, Any], params: Any, wall: float) -> str:
    lines = [f"End-to-end inference latency (ms) on the METR-LA study: mean / median / p95; "
             f"{params.model}, simulated {params.requests:,} requests per setup, seed {params.seed}",
             f"{'load':5} {'setup':22} {'analytical':>22} {'simulated':>22} {'published':>22}  overloaded"]
    for r in table.itertuples():
        ana = f"{_ms(r.analytical_mean)} / {_ms(r.analytical_median)} / {_ms(r.analytical_p95)}"
        sim = f"{_ms(r.sim_mean)} / {_ms(r.sim_median)} / {_ms(r.sim_p95)}"
        pub = f"{_ms(r.published_mean)} / {_ms(r.published_median)} / {_ms(r.published_p95)}"
        lines.append(f"{r.load:5} {r.setup:22} {ana:>22} {sim:>22} {pub:>22}  {r.overloaded or '-'}")
    for setup, p in placements.items():
        loads = ", ".join(f"{a:,.0f}/{c:,.0f}" for a, c in zip(p["load_per_host"], p["capacity_per_host"],
                                                                strict=True))
        lines.append(f"{setup}: devices per host {p['devices_per_host']}, base load/capacity (req/s) {loads}")
    lines.append(f"wall time {wall:.1f} s")
    return "\n".join(lines)
