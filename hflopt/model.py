r"""The Pyomo formulation of HFLOP: the readable source of truth.

Sets
    devices :math:`i = 0..N-1`, hosts :math:`j = 0..M-1`, links
    :math:`k \in K` (pairs :math:`(i_k, j_k)` a device may report over).

Data
    :math:`R_j` capacity, :math:`C^e_j` host-cloud cost, :math:`D_i` workload,
    :math:`c_k = C^d_{i_k j_k}` link cost, :math:`l` rounds ratio, :math:`T`
    minimum participants. :math:`K_i` / :math:`K^j` are the links of device i /
    host j and :math:`n_j = |K^j|`.

Variables
    :math:`y_j \in \{0,1\}` an aggregator runs on host j;
    :math:`x_k \in \{0,1\}` device :math:`i_k` reports to host :math:`j_k`.

Model::

    minimise    sum_j C^e_j y_j + l * sum_k c_k x_k
    subject to  sum_{k in K_i} x_k <= 1                 for every device i   (assign)
                sum_{k in K} x_k >= T                                       (participation)
                sum_{k in K^j} D_{i_k} x_k <= R_j       for every host j     (capacity)
                linking, by variant:
                  strong:  x_k <= y_{j_k}               for every link k     (link)
                  bigm:    sum_{k in K^j} x_k <= n_j y_j  and
                           sum_{k in K^j} x_k >= y_j     for every host j     (agg_upper, agg_lower)
                  both:    link and agg_lower
                x, y binary

``uncapacitated=True`` drops the capacity rows (the capacity-unaware HFL
baseline of the paper). The authors' big-M variant uses ``N + 1``; hflopt uses
the number of links into the host, ``n_j``, which is valid and tighter. With a
dense cost matrix the links are all N*M pairs and the model is exactly the
published one; with sparse links only candidate pairs get variables.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hflopt.instance import Instance

VARIANTS = ("strong", "bigm", "both")

__all__ = ["VARIANTS", "build_model", "solution_from_model"]


def _check_variant(variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return variant


def build_model(instance: Instance, *, variant: str = "strong", uncapacitated: bool = False) -> Any:
    """Build the Pyomo ``ConcreteModel`` of HFLOP for ``instance``.

    Components: ``y[j]``, ``x[k]`` (one per link, in the instance's link
    order), ``objective``, ``assign[i]``, ``participation``, ``capacity[j]``
    (unless uncapacitated) and, by variant, ``link[k]``, ``agg_upper[j]``,
    ``agg_lower[j]``.
    """
    import pyomo.environ as pyo

    _check_variant(variant)
    m, k_count = instance.n_hosts, instance.n_links
    dev = instance.link_device
    host = instance.link_host
    ptr = instance.link_ptr
    by_host_order = np.argsort(host, kind="stable")
    host_ptr = np.searchsorted(host[by_host_order], np.arange(m + 1))
    host_links = [by_host_order[host_ptr[j] : host_ptr[j + 1]].tolist() for j in range(m)]
    work = instance.workload
    cost = instance.link_cost
    l_ratio = instance.rounds_ratio

    model = pyo.ConcreteModel(name=instance.name or "hflop")
    model.H = pyo.RangeSet(0, m - 1)
    model.K = pyo.RangeSet(0, k_count - 1) if k_count else pyo.Set(initialize=[])
    model.D = pyo.RangeSet(0, instance.n_devices - 1) if instance.n_devices else pyo.Set(initialize=[])
    model.y = pyo.Var(model.H, domain=pyo.Binary)
    model.x = pyo.Var(model.K, domain=pyo.Binary)
    x, y = model.x, model.y

    model.objective = pyo.Objective(
        expr=pyo.quicksum(float(instance.edge_cost[j]) * y[j] for j in range(m))
        + l_ratio * pyo.quicksum(float(cost[k]) * x[k] for k in range(k_count) if cost[k] != 0),
        sense=pyo.minimize,
    )

    def assign_rule(_m: Any, i: int) -> Any:
        lo, hi = int(ptr[i]), int(ptr[i + 1])
        if hi - lo <= 1:
            return pyo.Constraint.Skip
        return pyo.quicksum(x[k] for k in range(lo, hi)) <= 1

    model.assign = pyo.Constraint(model.D, rule=assign_rule)
    if instance.min_participants > 0:  # (with T > 0 and no links the model is infeasible)
        model.participation = pyo.Constraint(
            expr=pyo.quicksum(x[k] for k in range(k_count)) + 0 * y[0] >= instance.min_participants
        )
    if not uncapacitated:

        def capacity_rule(_m: Any, j: int) -> Any:
            links = [k for k in host_links[j] if work[dev[k]] != 0]
            if not links:
                return pyo.Constraint.Skip
            return pyo.quicksum(float(work[dev[k]]) * x[k] for k in links) <= float(instance.capacity[j])

        model.capacity = pyo.Constraint(model.H, rule=capacity_rule)
    if variant in ("strong", "both"):
        model.link = pyo.Constraint(model.K, rule=lambda _m, k: x[k] <= y[int(host[k])])
    if variant == "bigm":

        def upper_rule(_m: Any, j: int) -> Any:
            if not host_links[j]:
                return pyo.Constraint.Skip
            return pyo.quicksum(x[k] for k in host_links[j]) <= len(host_links[j]) * y[j]

        model.agg_upper = pyo.Constraint(model.H, rule=upper_rule)
    if variant in ("bigm", "both"):
        model.agg_lower = pyo.Constraint(
            model.H, rule=lambda _m, j: pyo.quicksum(x[k] for k in host_links[j]) >= y[j]
        )
    return model


def solution_from_model(instance: Instance, model: Any) -> np.ndarray | None:
    """``host_of`` read from the model's ``x`` values (None if x has no values)."""
    values = np.array([v.value if v.value is not None else np.nan for v in model.x.values()],
                      dtype=np.float64) if instance.n_links else np.zeros(0)
    if instance.n_links and np.isnan(values).all():
        return None
    return host_of_from_x(instance, np.nan_to_num(values))


def host_of_from_x(instance: Instance, xval: np.ndarray) -> np.ndarray:
    """Round link values to an assignment: each device takes its largest x > 0.5."""
    host_of = np.full(instance.n_devices, -1, dtype=np.int64)
    chosen = np.flatnonzero(xval > 0.5)
    if chosen.size:
        # one link per device: keep the largest value if rounding left several
        order = chosen[np.argsort(-xval[chosen], kind="stable")]
        devs = instance.link_device[order]
        _, first = np.unique(devs, return_index=True)
        picked = order[first]
        host_of[instance.link_device[picked]] = instance.link_host[picked]
    return host_of
