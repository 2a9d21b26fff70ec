"""``hflopt replan``: plans for every period of a day, under one or more policies.

Registered by :mod:`hflopt.cli`. Every input and output is checked before
the first solve; bad input raises :class:`~hflopt.InstanceError` (one line,
exit status 2).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from typing import Any

from hflopt.cli_types import nonneg_float, positive_float, size, whole
from hflopt.errors import InstanceError

__all__ = ["add_replan"]

_EXAMPLES = """\
examples:
  hflopt replan day.csv --instance city.json --policy stable --migration-cost 20 -o plans.json
  hflopt replan daily --instance city.json --policy static,myopic,stable,robust -t 120 --plot day.png
  hflopt replan daily:periods=96,seed=3,noise_cv=0.2 --instance city.json --save-workloads day.csv
  hflopt replan speeds.csv --readings --period 1h --instance metrla.json --policy stable,horizon

WORKLOADS: a CSV of per-device workloads per period (wide: a period column and one
column per device id; long: period, device, rate columns), 'daily' for the built-in
daily profile of the instance's workloads (daily:KEY=VALUE,... sets periods, seed,
morning_hour, evening_hour, peak_width_h, phase_sd_h, amplitude=LOW:HIGH, night,
noise_cv), or with --readings a CSV of time-stamped sensor readings (e.g. METR-LA
speeds). -o writes .json (summary, rows and plans per policy) or .csv (the rows).
Docs: docs/replan.md.
"""


def add_replan(sub: Any) -> None:
    """Register ``hflopt replan`` (loads nothing heavy: the policy names are checked when used)."""
    p = sub.add_parser("replan", help="re-plan as the inference load changes over a day",
                       description="Plan every period of a day of workloads under one or more policies\n"
                                   "(static, myopic, stable, robust, horizon) and print a table per period.",
                       epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workloads", metavar="WORKLOADS", help="workloads CSV, 'daily[:KEY=VALUE,...]', or readings "
                                                          "with --readings")
    p.add_argument("--instance", "-i", required=True, metavar="BASE",
                   help="the infrastructure: hosts, capacities, links, costs (any instance file)")
    p.add_argument("--policy", "-p", default="stable", metavar="LIST",
                   help="comma-separated policies: static, myopic, stable, robust, horizon or all "
                        "(default stable)")
    p.add_argument("--method", "-m", default="auto", metavar="METHOD", help="solver method of each solve "
                                                                            "(default auto)")
    p.add_argument("--time-limit", "-t", type=positive_float, metavar="S",
                   help="seconds per policy for the whole day (default: no limit)")
    p.add_argument("--migration-cost", type=nonneg_float, default=0.0, metavar="C",
                   help="price of a device changing aggregator (default 0)")
    p.add_argument("--open-cost", type=nonneg_float, default=0.0, metavar="C", help="price of opening a host")
    p.add_argument("--close-cost", type=nonneg_float, default=0.0, metavar="C", help="price of closing a host")
    p.add_argument("--initial", metavar="RESULT.json",
                   help="the plan running before the first period (a result of hflopt solve -o on the instance): "
                        "the first period's changes are priced against it")
    p.add_argument("--gap", type=nonneg_float, default=0.0, metavar="G", help="relative gap of each solve "
                                                                                "(default 0)")
    p.add_argument("--seed", type=whole(0), help="solver seed")
    p.add_argument("--max-utilization", type=positive_float, metavar="U",
                   help="plan every period with hosts loaded to at most U x capacity (0 < U <= 1)")
    p.add_argument("--latency-slo", metavar="DURATION",
                   help="plan every period with each aggregator's mean M/M/1 sojourn at most this (e.g. 20ms)")
    p.add_argument("--readings", action="store_true",
                   help="WORKLOADS holds time-stamped sensor readings (one column per device id)")
    p.add_argument("--period", metavar="DURATION", help="with --readings: period length "
                                                                       "(default 1h)")
    p.add_argument("--whole-timeline", action="store_true",
                   help="with --readings: keep every period instead of folding the days into one typical day")
    p.add_argument("--scenario", metavar="FILE", help="inference scenario (JSON) for the latency estimate")
    p.add_argument("--no-latency", action="store_true", help="skip the latency estimate")
    p.add_argument("-o", "--output", metavar="OUT.json|OUT.csv", help="write summary, rows and plans")
    p.add_argument("--plot", metavar="DAY.png", help="draw cost, migrations and latency over the day")
    p.add_argument("--save-workloads", metavar="FILE.csv", help="write the workloads table used")
    p.add_argument("--format", "-f", help="format of the instance file")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    p.add_argument("--max-input-size", type=size, metavar="SIZE",
                   help="read at most SIZE bytes from an input file (e.g. 4G; default 1G)")
    p.set_defaults(handler=_cmd_replan)


def _policies(text: str) -> list[str]:
    from hflopt.replanning.policies import POLICIES

    names = [s.strip() for s in text.split(",") if s.strip()]
    if names == ["all"]:
        return list(POLICIES)
    if "all" in names:
        raise InstanceError("'all' stands alone (it means every policy)", field="--policy", value=text)
    bad = next((n for n in names if n not in POLICIES), None)
    if bad is not None or not names:
        raise InstanceError(f"choose from {', '.join(POLICIES)} or all", field="--policy", value=bad or text)
    return list(dict.fromkeys(names))


def _daily_spec(text: str) -> dict[str, Any]:
    """``daily:periods=96,seed=3`` -> DayParams keywords."""
    from hflopt.replanning.workloads import DayParams

    fields = {f.name: f for f in dataclasses.fields(DayParams)}
    out: dict[str, Any] = {}
    body = text.partition(":")[2]
    for item in filter(None, (s.strip() for s in body.split(","))):
        key, eq, value = (s.strip() for s in item.partition("="))
        if not eq or key not in fields:
            raise InstanceError(f"expected KEY=VALUE with KEY one of {', '.join(fields)}", field="WORKLOADS",
                                value=item)
        if key in out:
            raise InstanceError("is given twice", field=f"WORKLOADS {key}", value=item)
        out[key] = _spec_value(key, value)
    return out


def _spec_value(key: str, value: str) -> Any:
    try:
        if key == "amplitude":
            lo, _, hi = value.partition(":")
            return (float(lo), float(hi or lo))
        if key in ("periods", "seed"):
            return int(value)
        if key == "integral":
            return {"true": True, "false": False}[value.lower()]
        return float(value)
    except (ValueError, KeyError):
        raise InstanceError("is not a valid value", field=key, value=value) from None


def _workloads(args: argparse.Namespace, base: Any) -> Any:
    from hflopt.replanning import ReadingsParams, daily_profile, read_readings, read_workloads, workloads_from_readings

    spec = args.workloads
    if not args.readings and (args.period is not None or args.whole_timeline):
        raise InstanceError("only applies with --readings", field="--period" if args.period else "--whole-timeline",
                            value=args.period or True)
    if not args.readings and (spec == "daily" or spec.startswith("daily:")):
        try:
            return daily_profile(base, **_daily_spec(spec))
        except InstanceError as exc:
            field = exc.field if exc.field and exc.field.startswith("WORKLOADS") else f"WORKLOADS {exc.field}"
            raise InstanceError(exc.message, field=field, value=exc.value, source=exc.source) from None
    try:
        if args.readings:
            params = ReadingsParams(period=args.period or "1h", typical_day=not args.whole_timeline)
            return workloads_from_readings(read_readings(spec), base, params)
        return read_workloads(spec).aligned(base, source=spec)
    except InstanceError as exc:
        if exc.source is None:
            raise InstanceError(exc.message, field=exc.field, value=exc.value, source=spec) from None
        raise


def _outputs(args: argparse.Namespace) -> dict[str, Any]:
    """Check every output path before any work."""
    from pathlib import Path

    from hflopt.io._files import check_no_clash, output_target, uncompressed

    out: dict[str, Any] = {}
    if args.output:
        out["output"] = output_target(args.output)
        suffix = uncompressed(Path(out["output"].shown)).suffix.lower()
        if out["output"].kind != "stream" and suffix not in (".json", ".csv"):
            raise InstanceError("must end in .json or .csv", field="--output", value=args.output)
        out["csv"] = suffix == ".csv" and out["output"].kind != "stream"
    if args.plot:
        from hflopt.plotting import check_image_path

        out["plot"] = output_target(args.plot)
        check_image_path(args.plot)
    if args.save_workloads:
        out["workloads"] = output_target(args.save_workloads)
    check_no_clash({"--output": out.get("output"), "--plot": out.get("plot"),
                    "--save-workloads": out.get("workloads")},
                   {"--instance": args.instance, "WORKLOADS": args.workloads, "--initial": args.initial,
                    "--scenario": args.scenario})
    return out


def _cmd_replan(args: argparse.Namespace) -> int:
    from hflopt.io import load_instance
    from hflopt.replanning import ChangeCosts
    from hflopt.solvers import METHODS

    policies = _policies(args.policy)
    if args.method not in METHODS:
        raise InstanceError(f"choose one of {', '.join(sorted(METHODS))}", field="--method", value=args.method)
    if args.gap >= 1:
        raise InstanceError("must be a fraction below 1 (0.01 = 1%)", field="--gap", value=args.gap)
    targets = _outputs(args)
    base = load_instance(args.instance, format=args.format)
    work = _workloads(args, base)
    scenario = _scenario(args, base)
    initial = None
    if args.initial is not None:
        from hflopt.evaluate.results import read_result

        initial = read_result(args.initial, base)
    costs = ChangeCosts(args.migration_cost, args.open_cost, args.close_cost)
    limits = _limits(args)
    options = {k: v for k, v in (("gap", args.gap), ("seed", args.seed)) if v}
    options = {k: v for k, v in options.items() if k in METHODS[args.method].options}
    if "workloads" in targets:
        from hflopt.replanning import save_workloads

        save_workloads(work, targets["workloads"])
    results, stopped = _run_policies(args, policies, base, work, (costs, limits, options), scenario, initial)
    _report(args, base, work, results, targets)
    return 130 if stopped else 0


def _run_policies(args: argparse.Namespace, policies: list[str], base: Any, work: Any, how: tuple,
                  scenario: Any, initial: Any) -> tuple[dict[str, Any], bool]:
    """Run the policies one after the other; Ctrl-C ends the running one early and skips the rest."""
    from hflopt.replanning import ReplanParams
    from hflopt.solvers._common import interrupted, interruptible

    costs, limits, options = how
    results = {}
    with interruptible():  # one handler for all policies: the flag survives each policy's own block
        for policy in policies:
            params = ReplanParams(policy, args.method, args.time_limit, costs, limits=limits, solve_options=options)
            results[policy] = _run_policy(args, base, work, params, scenario, initial)
            if interrupted():
                skipped = policies[len(results):]
                if skipped:
                    print(f"hflopt: interrupted; skipped {', '.join(skipped)}", file=sys.stderr)
                return results, True
    return results, False


def _limits(args: argparse.Namespace) -> Any:
    if args.max_utilization is None and args.latency_slo is None:
        return None
    from hflopt.evaluate import LatencyLimits, parse_duration_ms

    slo = None if args.latency_slo is None else parse_duration_ms(args.latency_slo, field="--latency-slo")
    if args.max_utilization is not None and args.max_utilization > 1:
        raise InstanceError("must be a number in (0, 1]", field="--max-utilization", value=args.max_utilization)
    return LatencyLimits(max_utilization=args.max_utilization, latency_slo_ms=slo)


def _scenario(args: argparse.Namespace, base: Any) -> Any:
    if args.scenario is None or args.no_latency:
        return None
    from hflopt.evaluate import load_scenario

    return load_scenario(args.scenario, base)


def _run_policy(args: argparse.Namespace, base: Any, work: Any, params: Any, scenario: Any, initial: Any) -> Any:
    from hflopt.replanning import replan

    def say(text: str) -> None:
        if not args.quiet:
            print(f"hflopt: {params.policy}: {text}", file=sys.stderr, flush=True)

    return replan(base, work, params=params, latency=not args.no_latency, scenario=scenario, initial=initial,
                  progress=say)


def _report(args: argparse.Namespace, base: Any, work: Any, results: dict[str, Any],
            targets: dict[str, Any]) -> None:
    if not args.quiet:
        print(f"{base.name or args.instance}: {base.n_hosts} hosts, {base.n_devices} devices, "
              f"{work.n_periods} periods\n")
        for res in results.values():
            print(f"## {res.policy}\n\n{res.table()}\n\n{res}")
            for m in res.messages:
                print(f"note: {m}")
            print()
        if len(results) > 1:
            print(_comparison(results))
    _write(args, base, results, targets)


def _comparison(results: dict[str, Any]) -> str:
    from hflopt.bench.summary import markdown_table

    header = ["policy", "total cost", "training", "changes", "migrations", "openings", "closings",
              "overloaded host-periods", "mean latency ms (periods)", "seconds"]
    rows = []
    for res in results.values():
        s = res.summary()
        rows.append([res.policy, _fmt(s["total_cost"]), _fmt(s["comm_cost"]), _fmt(s["change_cost"]),
                     str(s["migrations"]), str(s["opened"]), str(s["closed"]), str(s["host_periods_overloaded"]),
                     _latency_cell(s), f"{s['seconds']:.1f}"])
    return "## policies side by side\n\n" + markdown_table(header, rows)


def _latency_cell(s: dict[str, Any]) -> str:
    text = _fmt(s["mean_latency_ms"], 1)
    unbounded = s["periods_latency_unbounded"]
    return f"{text} (+{unbounded} unbounded)" if unbounded else text


def _fmt(v: Any, digits: int | None = None) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and math.isinf(v):
        return "inf"
    return f"{v:.{digits}f}" if digits is not None else f"{v:,.6g}"


def _write(args: argparse.Namespace, base: Any, results: dict[str, Any], targets: dict[str, Any]) -> None:
    from hflopt.io._common import dumps_json, write_text_atomic

    if "output" in targets:
        target = targets["output"]
        if targets["csv"]:
            import pandas as pd

            frame = pd.concat([r.to_frame().assign(policy=p) for p, r in results.items()], ignore_index=True)
            text = frame[["policy", *frame.columns[:-1]]].to_csv(index=False, lineterminator="\n")
        else:
            data = {p: {**r.to_dict(), "plans": r.plans_dict(base.device_ids, base.host_ids)}
                    for p, r in results.items()}
            text = dumps_json({"instance": base.name, "policies": data})
        write_text_atomic(target, text)
        if not args.quiet:
            print(f"results written to {args.output}")
    if "plot" in targets:
        from hflopt.replanning import save_day_plot

        save_day_plot(results, targets["plot"].shown)
        if not args.quiet:
            print(f"plot written to {args.plot}")
