"""The outcome of re-planning over a day: one row per period and a summary."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hflopt.replanning.changes import ChangeCosts
from hflopt.solution import Result, Solution

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PERIOD_COLUMNS", "ReplanResult"]

#: the columns of :meth:`ReplanResult.to_frame`, in order, with what each holds
PERIOD_COLUMNS = {
    "period": "label of the period",
    "status": "status of the solve that made the period's plan (static, robust: the one solve; "
              "'kept' when a period's solve found nothing and the previous plan stays)",
    "open_hosts": "hosts running an aggregator",
    "participants": "devices taking part",
    "comm_cost": "training cost of the plan (the HFLOP objective on the period's instance)",
    "migrations": "devices reporting to another aggregator than in the period before",
    "joined": "devices that started taking part",
    "left": "devices that stopped taking part",
    "opened": "hosts that started running an aggregator",
    "closed": "hosts that stopped running one",
    "change_cost": "migrations, openings and closings at their prices",
    "total_cost": "comm_cost + change_cost",
    "overloaded_hosts": "hosts whose devices' workload exceeds their capacity in this period",
    "max_utilization": "largest load / capacity over open hosts",
    "latency_mean_ms": "mean inference latency (M/M/1; inf when a node is overloaded)",
    "latency_p95_ms": "95th percentile of the inference latency",
    "solve_seconds": "seconds spent making the period's plan",
}


@dataclass(eq=False)
class ReplanResult:
    """Plans for every period, what they cost and how they behave.

    Attributes
    ----------
    policy, method:
        How the plans were made (``static``, ``myopic``, ``stable``,
        ``robust``, ``horizon``) and with which solver method.
    costs:
        Prices of migrations, openings and closings.
    periods:
        Period labels.
    plans:
        One :class:`~hflopt.Solution` per period (None before the first
        period with a plan).
    results:
        The solver results behind the plans (one per solve: one for
        ``static``, ``robust`` and ``horizon``, one per period otherwise).
    rows:
        One dict per period, keys :data:`PERIOD_COLUMNS`.
    bound:
        For ``horizon``: a proven lower bound on the day's total cost
        (training plus changes), None otherwise.
    exact_pricing:
        False when a closing cost above a host's fixed cost could not be
        priced exactly in a period's planning instance (see
        :mod:`hflopt.replanning.changes`).
    seconds:
        Wall time of the whole re-planning, evaluation included.
    planning_seconds:
        The part spent making plans (what ``time_limit`` bounds).
    messages:
        What went wrong or was worth saying (infeasible periods, kept plans).
    """

    policy: str
    method: str
    costs: ChangeCosts
    periods: tuple[str, ...]
    plans: list[Solution | None]
    results: list[Result]
    rows: list[dict[str, Any]]
    bound: float | None = None
    exact_pricing: bool = True
    seconds: float = 0.0
    planning_seconds: float = 0.0
    messages: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per period (columns :data:`PERIOD_COLUMNS`)."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(PERIOD_COLUMNS))

    def summary(self) -> dict[str, Any]:
        """Totals over the day (costs, changes, violations) and latency over the periods."""
        rows = self.rows
        lat = [r["latency_mean_ms"] for r in rows if r["latency_mean_ms"] is not None]
        finite = [v for v in lat if math.isfinite(v)]
        return {
            "policy": self.policy,
            "method": self.method,
            "periods": len(rows),
            "periods_with_plan": sum(r["comm_cost"] is not None for r in rows),
            "comm_cost": _total(rows, "comm_cost"),
            "change_cost": _total(rows, "change_cost"),
            "total_cost": _total(rows, "total_cost"),
            "bound": self.bound,
            "migrations": int(sum(r["migrations"] for r in rows)),
            "opened": int(sum(r["opened"] for r in rows)),
            "closed": int(sum(r["closed"] for r in rows)),
            "periods_overloaded": int(sum(r["overloaded_hosts"] > 0 for r in rows)),
            "host_periods_overloaded": int(sum(r["overloaded_hosts"] for r in rows)),
            "worst_utilization": _max(rows, "max_utilization"),
            "mean_latency_ms": float(np.mean(finite)) if finite else None,
            "periods_latency_unbounded": len(lat) - len(finite),
            "planning_seconds": self.planning_seconds,
            "seconds": self.seconds,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON form: summary, per-period rows and plans (host id per device), costs, messages."""
        return {
            "policy": self.policy,
            "method": self.method,
            "costs": {"migration": self.costs.migration, "opening": self.costs.opening,
                      "closing": self.costs.closing},
            "exact_pricing": self.exact_pricing,
            "summary": {k: _json(v) for k, v in self.summary().items()},
            "periods": [{k: _json(v) for k, v in r.items()} for r in self.rows],
            "messages": list(self.messages),
        }

    def plans_dict(self, device_ids: tuple[str, ...], host_ids: tuple[str, ...]) -> list[dict[str, str | None]]:
        """Each period's plan as ``{device id: host id or None}``."""
        out = []
        for plan in self.plans:
            if plan is None:
                out.append({})
                continue
            out.append({d: (host_ids[j] if j >= 0 else None) for d, j in zip(device_ids, plan.host_of.tolist(),
                                                                              strict=True)})
        return out

    def table(self) -> str:
        """The per-period table as Markdown (what ``hflopt replan`` prints)."""
        from hflopt.bench.summary import markdown_table

        header = ["period", "status", "open", "comm cost", "migr.", "opened", "closed", "total", "overloaded",
                  "max util.", "latency ms", "s"]
        body = [[str(r["period"]), str(r["status"]), str(r["open_hosts"]), _num(r["comm_cost"]),
                 str(r["migrations"]), str(r["opened"]), str(r["closed"]), _num(r["total_cost"]),
                 str(r["overloaded_hosts"]), _num(r["max_utilization"], 2), _num(r["latency_mean_ms"], 1),
                 _num(r["solve_seconds"], 2)] for r in self.rows]
        return markdown_table(header, body)

    def __str__(self) -> str:
        s = self.summary()
        bound = f", bound {_num(s['bound'])}" if s["bound"] is not None else ""
        return (f"{self.policy} ({self.method}), {s['periods']} periods: total {_num(s['total_cost'])}"
                f"{bound} (training {_num(s['comm_cost'])}, changes {_num(s['change_cost'])}); "
                f"{s['migrations']} migrations, {s['opened']} openings, {s['closed']} closings; "
                f"{s['host_periods_overloaded']} overloaded host-periods; planned in {s['planning_seconds']:.1f} s, "
                f"{s['seconds']:.1f} s in all")


def _total(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows]
    if any(v is None for v in values):
        return None
    return float(sum(values))


def _max(rows: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in rows if r[key] is not None]
    return float(max(values)) if values else None


def _num(v: Any, digits: int | None = None) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and math.isinf(v):
        return "inf"
    if digits is not None:
        return f"{v:.{digits}f}"
    return f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}"


def _json(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    if isinstance(v, np.integer):
        return int(v)
    return v
