"""Read a solve result (``hflopt solve -o``, or the authors' solver output) back as a Solution."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from hflopt.errors import InstanceError
from hflopt.instance import Instance
from hflopt.solution import Solution

__all__ = ["read_result", "solution_from_result"]


def _position(ids: tuple[str, ...]) -> dict[str, int]:
    return {d: k for k, d in enumerate(ids)}


def _assign_host(host_of: np.ndarray, entry: Any, k: int, pos: tuple[dict, dict],
                 source: str) -> None:
    host_pos, dev_pos = pos
    if not isinstance(entry, dict) or "id" not in entry or not isinstance(entry.get("associated_devices"), list):
        raise InstanceError("must be an object with 'id' and a list 'associated_devices'",
                            field=f"edge_hosts[{k}]", value=entry, source=source)
    j = host_pos.get(str(entry["id"]))
    if j is None:
        raise InstanceError("is not a host of the instance: not a result of this instance",
                            field=f"edge_hosts[{k}].id", value=entry["id"], source=source)
    for d in entry["associated_devices"]:
        i = dev_pos.get(str(d))
        if i is None:
            raise InstanceError("is not a device of the instance: not a result of this instance",
                                field=f"edge_hosts[{k}].associated_devices", value=d, source=source)
        if host_of[i] >= 0:
            raise InstanceError("is assigned to two hosts", field=f"edge_hosts[{k}].associated_devices",
                                value=d, source=source)
        host_of[i] = j


def solution_from_result(obj: Any, inst: Instance, source: str = "result") -> Solution:
    """The Solution in a result dict, checked against ``inst``.

    Reads ``edge_hosts`` (``id``, ``associated_devices``, ids as in the
    instance, 0-based positions for instances without names). The result must
    belong to the instance: every id must exist, every assignment must use a
    link of the instance, and a recorded ``objective`` (and ``participants``)
    must equal what the solution gives on this instance.

    Raises
    ------
    InstanceError
        Naming ``source``, the field and the value at fault.
    """
    from hflopt.evaluate._common import check_solution

    if not isinstance(obj, dict) or not isinstance(obj.get("edge_hosts"), list):
        raise InstanceError("is not a result: no 'edge_hosts' list (write one with hflopt solve -o)",
                            field="edge_hosts", source=source)
    host_of = np.full(inst.n_devices, -1, dtype=np.int64)
    pos = (_position(inst.host_ids), _position(inst.device_ids))
    for k, entry in enumerate(obj["edge_hosts"]):
        _assign_host(host_of, entry, k, pos, source)
    sol = Solution(host_of)
    check_solution(inst, sol, source=source)
    recorded = obj.get("participants")
    if isinstance(recorded, int) and recorded != sol.n_participants:
        raise InstanceError(f"says {recorded} but its hosts list {sol.n_participants} devices",
                            field="participants", value=recorded, source=source)
    objective = obj.get("objective")
    if isinstance(objective, (int, float)) and not isinstance(objective, bool):
        cost = sol.cost(inst)
        if not math.isclose(cost, float(objective), rel_tol=1e-6, abs_tol=1e-6):
            raise InstanceError(f"is {objective:g} in the result but {cost:g} on this instance: "
                                "not a result of this instance", field="objective", value=objective,
                                source=source)
    return sol


def read_result(path: str | os.PathLike[str], inst: Instance) -> Solution:
    """Read a result file (JSON, optionally compressed) as a Solution of ``inst``."""
    from hflopt.io._common import parse_json, read_text

    source = str(path)
    return solution_from_result(parse_json(read_text(Path(path), source), source), inst, source)
