"""Plots: artists drawn (links per participant, hollow unused hosts, bars), files written atomically."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402

import hflopt  # noqa: E402
from hflopt import InstanceError, Solution  # noqa: E402
from hflopt.cli import main  # noqa: E402
from hflopt.generators import geometric_instance  # noqa: E402
from hflopt.plotting import (  # noqa: E402
    host_colours,
    plot_instance,
    plot_loads,
    plot_solution,
    save_instance_map,
    save_solution_map,
    schematic_layout,
    solution_figure,
)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _no_show(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("plotting functions must never call show()")

    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


def _by_gid(ax, gid: str):
    found = [c for c in ax.collections if c.get_gid() == gid]
    return found[0] if found else None


@pytest.fixture
def geo() -> tuple[hflopt.Instance, Solution]:
    inst = geometric_instance(5, 30, k=3, decimals=0, participation=0.8, seed=7)
    # a hand-made feasible-looking assignment: each device to its nearest host, four devices idle,
    # host 4 unused (devices of host 4 go to their second choice)
    host_of = inst.link_host[inst.link_ptr[:-1]].astype(np.int64).copy()
    host_of[[0, 1, 2, 3]] = -1
    for i in np.flatnonzero(host_of == 4):
        row = inst.link_host[inst.link_ptr[i]:inst.link_ptr[i + 1]]
        host_of[i] = next(h for h in row if h != 4)
    return inst, Solution(host_of)


def test_solution_map_draws_one_link_per_participant(geo) -> None:
    inst, sol = geo
    _, ax = plt.subplots()
    assert plot_solution(inst, sol, ax=ax) is ax
    links = _by_gid(ax, "links")
    assert isinstance(links, LineCollection)
    segs = links.get_segments()
    assert len(segs) == sol.n_participants == 26
    part = np.flatnonzero(sol.host_of >= 0)
    for seg, i in zip(segs, part, strict=True):
        assert np.allclose(seg[0], inst.device_xy[i]) and np.allclose(seg[1], inst.host_xy[sol.host_of[i]])
    # one colour per host: equal within a host, different across hosts
    colours = links.get_colors()
    for h in sol.open_hosts():
        mine = colours[sol.host_of[part] == h]
        assert np.allclose(mine, mine[0])
    firsts = {tuple(colours[np.flatnonzero(sol.host_of[part] == h)[0]]) for h in sol.open_hosts()}
    assert len(firsts) == sol.open_hosts().size
    idle = _by_gid(ax, "idle-devices")
    assert len(idle.get_offsets()) == 4


def test_unused_hosts_are_hollow_and_open_hosts_filled(geo) -> None:
    inst, sol = geo
    _, ax = plt.subplots()
    plot_solution(inst, sol, ax=ax)
    unused = _by_gid(ax, "unused-hosts")
    opened = _by_gid(ax, "open-hosts")
    assert isinstance(unused, PathCollection) and isinstance(opened, PathCollection)
    n_unused = inst.n_hosts - sol.open_hosts().size
    assert n_unused >= 1 and len(unused.get_offsets()) == n_unused
    assert len(unused.get_facecolors()) == 0  # hollow: no face colour
    assert len(unused.get_edgecolors()) >= 1
    assert len(opened.get_offsets()) == sol.open_hosts().size
    assert np.all(opened.get_facecolors()[:, 3] == 1)
    sizes = opened.get_sizes()  # area grows with capacity
    caps = inst.capacity[sol.open_hosts()]
    assert np.all(np.diff(sizes[np.argsort(caps)]) >= 0)


def test_instance_map_sizes_follow_capacity_and_workload(geo) -> None:
    inst, _ = geo
    inst = inst.replace(capacity=np.array([10.0, 50, 20, 40, 30]))
    _, ax = plt.subplots()
    plot_instance(inst, ax=ax, links=True)
    hosts, devices, links = _by_gid(ax, "hosts"), _by_gid(ax, "devices"), _by_gid(ax, "links")
    assert np.array_equal(np.argsort(hosts.get_sizes()), np.argsort(inst.capacity))
    order = np.argsort(inst.workload, kind="stable")
    assert np.all(np.diff(devices.get_sizes()[order]) >= 0)
    assert len(links.get_segments()) == inst.n_links
    assert len(devices.get_offsets()) == inst.n_devices
    assert ax.get_xlabel() == "x (km)"


def test_loads_as_bars(geo) -> None:
    inst, sol = geo
    _, ax = plt.subplots()
    plot_loads(inst, sol, ax=ax)
    loads = [p.get_height() for p in ax.patches if p.get_gid() == "load-bar"]
    caps = [p.get_height() for p in ax.patches if p.get_gid() == "capacity-bar"]
    assert np.allclose(loads, sol.loads(inst)) and np.allclose(caps, inst.capacity)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(inst.host_ids)


def test_many_hosts_show_the_most_loaded() -> None:
    inst = geometric_instance(60, 300, k=2, seed=1)
    sol = Solution(inst.link_host[inst.link_ptr[:-1]])
    _, ax = plt.subplots()
    plot_loads(inst, sol, ax=ax, max_hosts=10)
    assert len([p for p in ax.patches if p.get_gid() == "load-bar"]) == 10
    assert "10 most loaded" in ax.get_title()


def test_schematic_layout_without_coordinates(tiny) -> None:
    sol = Solution([0, 0, 2, 1, -1, 2])
    _, ax = plt.subplots()
    plot_solution(tiny, sol, ax=ax)
    assert len(_by_gid(ax, "links").get_segments()) == 5
    hxy, dxy = schematic_layout(tiny, sol.host_of)
    assert np.allclose(np.linalg.norm(hxy, axis=1), 1.0)
    # each device sits nearer its own host than any other host
    for i in np.flatnonzero(sol.host_of >= 0):
        assert np.argmin(np.linalg.norm(hxy - dxy[i], axis=1)) == sol.host_of[i]
    assert "schematic" in ax.get_xlabel()


def test_lonlat_axes_and_result_input(geo) -> None:
    inst = geo[0]
    shift = np.array([-118.0, 34.0])
    lonlat = inst.replace(host_xy=inst.host_xy / 1000 + shift, device_xy=inst.device_xy / 1000 + shift,
                          metadata={"coordinates": "lonlat"})
    res = hflopt.solve(lonlat)
    _, ax = plt.subplots()
    plot_solution(lonlat, res, ax=ax)
    assert ax.get_xlabel() == "longitude" and ax.get_ylabel() == "latitude"
    assert len(_by_gid(ax, "links").get_segments()) == res.solution.n_participants
    assert f"cost {res.objective:.6g}" in ax.get_title()


def test_default_axes_is_the_current_pyplot_axes(geo) -> None:
    inst, sol = geo
    _, ax = plt.subplots()
    assert plot_solution(inst, sol) is ax
    assert plot_instance(inst) is ax


def test_sampling_caps_the_drawn_devices(geo) -> None:
    inst, sol = geo
    _, ax = plt.subplots()
    plot_solution(inst, sol, ax=ax, max_devices=10)
    assert len(_by_gid(ax, "links").get_segments()) == 10
    assert "showing 10 of 26" in ax.get_title()


def test_host_colours_are_distinct_and_not_grey() -> None:
    for n in (1, 9, 18, 40):
        c = host_colours(n)
        assert len({tuple(np.round(x, 4)) for x in c}) == n
        assert not np.any(np.ptp(c[:, :3], axis=1) < 0.02)  # no grey


def test_save_solution_map_png_atomic(geo, tmp_path) -> None:
    inst, sol = geo
    path = tmp_path / "map.png"
    save_solution_map(inst, sol, path, title="a title")
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]  # no temporary left behind
    save_solution_map(inst, sol, tmp_path / "map.svg")
    assert (tmp_path / "map.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(InstanceError, match="unsupported image type"):
        save_solution_map(inst, sol, tmp_path / "map.xyz")
    assert not (tmp_path / "map.xyz").exists()
    save_instance_map(inst, tmp_path / "inst.png")
    assert (tmp_path / "inst.png").read_bytes()[:8] == PNG
    fig = solution_figure(inst, sol, "t")
    assert len(fig.axes) == 2 and fig.get_suptitle() == "t"


def test_failed_write_leaves_the_old_file(geo, tmp_path, monkeypatch) -> None:
    inst, sol = geo
    path = tmp_path / "map.png"
    path.write_bytes(b"old")
    from matplotlib.figure import Figure

    def broken(self, *args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError):
        save_solution_map(inst, sol, path)
    assert path.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]


def test_wrong_solution_size_is_refused(geo) -> None:
    inst, _ = geo
    with pytest.raises(hflopt.HfloptError, match="entries for 30 devices"):
        plot_solution(inst, Solution([0, 1]))


def test_cli_solve_plot(tmp_path, capsys) -> None:
    inst = geometric_instance(3, 8, decimals=0, participation=0.75, seed=3)
    src = tmp_path / "g.json"
    hflopt.save_instance(inst, src)
    out = tmp_path / "g.png"
    assert main(["solve", str(src), "--plot", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG
    assert "solution map written" in capsys.readouterr().out
