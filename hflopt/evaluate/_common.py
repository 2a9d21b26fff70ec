"""Checks shared by the evaluations: does a solution belong to an instance."""

from __future__ import annotations

import numpy as np

from hflopt.errors import InstanceError
from hflopt.instance import Instance
from hflopt.solution import Solution

__all__ = ["check_solution"]


def check_solution(inst: Instance, sol: Solution, *, source: str | None = None) -> np.ndarray:
    """Link index used by each device (-1 = not participating), after checking ``sol`` fits ``inst``.

    Raises
    ------
    InstanceError
        The solution has another number of devices, names a host the
        instance does not have, or assigns a device over a link that does
        not exist: it was not computed for this instance.
    """
    host_of = sol.host_of
    if host_of.size != inst.n_devices:
        raise InstanceError(
            f"has {host_of.size} devices but the instance has {inst.n_devices}: not a result of this instance",
            field="solution", value=int(host_of.size), source=source,
        )
    bad = np.flatnonzero((host_of < -1) | (host_of >= inst.n_hosts))
    if bad.size:
        i = int(bad[0])
        raise InstanceError(
            f"device {inst.device_ids[i]} is assigned to host index {int(host_of[i])}, "
            f"but the instance has {inst.n_hosts} hosts", field="solution", value=int(host_of[i]), source=source,
        )
    links = sol.link_indices(inst)
    missing = np.flatnonzero((host_of >= 0) & (links < 0))
    if missing.size:
        i = int(missing[0])
        raise InstanceError(
            f"device {inst.device_ids[i]} is assigned to host {inst.host_ids[int(host_of[i])]}, "
            "which it has no link to: not a result of this instance",
            field="solution", value=inst.host_ids[int(host_of[i])], source=source,
        )
    return links
