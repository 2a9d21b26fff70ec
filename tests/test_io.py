"""Formats: round trips, detection, tolerance of real files, one message per error path."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, HOLMBERG, need
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import instances

import hflopt
from hflopt import InstanceError, load_instance, save_instance
from hflopt.cli import main
from hflopt.errors import FormatError
from hflopt.io import detect_format

BAD = DATA / "bad"

# file -> the exact message (after the file name) it must produce
BAD_FILES = {
    "authors_edge_costs_length.json": "edge_costs: must have one cost per host (2 capacities), got 1",
    "authors_infinite_capacity.json": "capacities[0]: must be a finite number >= 0 (got inf)",
    "authors_missing_key.json": "workload: required field is missing",
    "authors_negative_capacity.json": "capacities[1]: must be >= 0 (got -5)",
    "authors_negative_link_cost.json": "device_costs[1][1]: must be >= 0 (got -2)",
    "authors_participation.json": "participation_ratio: must be <= 1 (got 1.5)",
    "authors_rounds.json": "local_to_global_ratio: must be >= 1 (got 0.5)",
    "authors_row_length.json": "device_costs[1]: must have one cost per host (2 capacities), got 3",
    "authors_rows_count.json": "device_costs: must have one row per device (3 workloads), got 2 rows",
    "authors_text_workload.json": "workload[2]: must be a number (got 'x')",
    "invalid_json.json": "invalid JSON at line 3 column 26: Expecting ',' delimiter",
    "unknown_json.json": "JSON is neither an hflopt instance",
    "native_bad_version.json": "version: unsupported version (this hflopt reads version 1) (got 7)",
    "native_contradicting_T.json": "min_participants: contradicts participation_ratio 0.5",
    "native_duplicate_device.json": "devices.id[2]: duplicate id (got 'd1')",
    "native_duplicate_host.json": "hosts.id[1]: duplicate id (got 'h0')",
    "native_duplicate_link.json": "links: duplicate link (the same device-host pair twice) (got ('d0', 'h1'))",
    "native_length_mismatch.json": "hosts.capacity: must have as many entries as hosts.id (2), got 1",
    "native_missing_links.json": "links: required field is missing",
    "native_nan_workload.json": "devices.workload[0]: must be a finite number >= 0 (got nan)",
    "native_negative_link_cost.json": "links.cost[0]: must be >= 0 (got -1)",
    "native_rounds.json": "rounds_ratio: must be >= 1 (got 0)",
    "native_too_many_participants.json": "min_participants: must be between 0 and the number of devices (3) (got 5)",
    "native_unknown_device.json": "links.device[1]: unknown device id (got 'd7')",
    "native_unknown_host.json": "links.host[2]: unknown host id (got 'h9')",
    "sscflp_bad_token.txt": "line 4: not a number (got 'abc')",
    "orlib_capacity_placeholder.txt": "line 2: the OR-Library placeholder 'capacity' (capa/capb/capc files)",
    "sscflp_negative_cost.txt": "cost[1][2] (facility 1, customer 2): must be a finite number >= 0 (got -6.0)",
    "sscflp_negative_demand.txt": "demand[1]: must be a finite number >= 0 (got -3.0)",
    "sscflp_no_facilities.txt": "J (facilities): must be a whole number >= 1 (got 0)",
    "sscflp_truncated.txt": "numbers: expected 15 numbers for J = 2 facilities and I = 3 customers",
    "unknown_text.txt": "unrecognised file format; give one with --format",
    "empty.txt": "is empty",
    "csv_missing_table": "folder is not a CSV instance: devices.csv missing",
    # extreme and non-finite values, repeated keys and ids (issue 20)
    "native_huge_rounds.json": "rounds_ratio: must be at most 1e+12, hflopt's supported range",
    "native_rounds_times_cost.json": "links.cost[1]: must be at most 1e+12 once multiplied by l = 1e+07",
    "native_capacity_1e15.json": "hosts.capacity[0]: must be at most 1e+12, hflopt's supported range",
    "native_workload_1e308.json": "devices.workload[1]: must be at most 1e+12, hflopt's supported range",
    "native_400_digit_integer.json": "hosts.capacity[0]: must be a finite number >= 0 (got inf)",
    "native_5000_digit_integer.json": "devices.workload[0]: must be a finite number >= 0 (got inf)",
    "native_nan_metadata.json": "metadata.seed: must be a finite number (files hold strict JSON) (got nan)",
    "native_surrogate_name.json": "name: is not valid Unicode text (character 5)",
    "native_duplicate_key.json": "rounds_ratio: key appears twice in one JSON object (each key once)",
    "authors_nan_seed.json": "metadata.seed: must be a finite number (files hold strict JSON) (got nan)",
    "sscflp_inf_cost.txt": "line 5: must be a finite number (SSCFLP files have no 'no link' marker) (got 'inf')",
    "sscflp_1e999_cost.txt": "line 6: must be a finite number (SSCFLP files have no 'no link' marker) (got '1e999')",
    "sscflp_nan_optimum.txt": "line 7: must be a finite number (SSCFLP files have no 'no link' marker) (got 'nan')",
    "sscflp_long_token.txt": "line 4: not a number (a token of 5000 characters)",
    "graph_duplicate_node.graphml": "node: node id appears twice (each node once) (got 'h')",
    "graph_repeated_node.edges": "node: line 3: node described twice (first on line 1) (got 'h')",
    "graph_fractional_T.edges": "min_participants: must be a whole number (got 2.5)",
    "graph_huge_weight.edges": "link_cost[0]: must be at most 1e+12, hflopt's supported range",
    "graph_400_digit.gml": "capacity of node 'h': must be a finite number >= 0",
}
# CSV errors name the table file inside the folder
BAD_CSV = {
    "csv_bad_number": ("hosts.csv", "capacity (data row 2): must be a number (got 'lots')"),
    "csv_bad_param": ("params.csv", "rounds_ratio: must be a number (got 'four')"),
    "csv_missing_column": ("hosts.csv", "column 'cloud_cost' is missing (columns: id, capacity)"),
    "csv_unknown_device": ("links.csv", "device (data row 3): unknown device id (got 'd9')"),
    "csv_zero_rounds": ("params.csv", "rounds_ratio: must be a number >= 1 (got 0.0)"),
    "csv_huge_rounds": ("params.csv", "rounds_ratio: must be at most 1e+12, hflopt's supported range"),
    "csv_repeated_param": ("params.csv", "parameter (row 2): is given twice (each parameter once) (got "
                                         "'rounds_ratio')"),
    "csv_duplicate_column": ("hosts.csv", "capacity: column appears twice in the header (each column once)"),
}


def test_every_bad_file_is_listed():
    listed = set(BAD_FILES) | set(BAD_CSV)
    assert {p.name for p in BAD.iterdir()} == listed


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_message(name):
    path = BAD / name
    with pytest.raises(InstanceError) as info:
        load_instance(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert BAD_FILES[name] in message
    assert "\n" not in message


@pytest.mark.parametrize("name", sorted(BAD_CSV))
def test_bad_csv_message(name):
    table, expected = BAD_CSV[name]
    with pytest.raises(InstanceError) as info:
        load_instance(BAD / name)
    assert str(info.value).startswith(f"{BAD / name / table}: {expected}")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fmt", ["native", "authors", "csv", "sscflp"])
def test_missing_file(tmp_path, fmt):
    with pytest.raises(InstanceError, match=r"no such file|missing"):
        load_instance(tmp_path / "nope", format=fmt)


def test_unknown_format_name(tmp_path):
    with pytest.raises(InstanceError, match="unknown format"):
        load_instance(BAD / "empty.txt", format="xml")


# ------------------------------------------------------------------ round trips
def _write_read(inst, path, fmt):
    save_instance(inst, path, format=fmt)
    assert detect_format(path) == fmt
    return load_instance(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inst=instances(max_hosts=4, max_devices=6, ids=True, coords=True, integral=False))
def test_native_round_trip(tmp_path, inst):
    back = _write_read(inst, tmp_path / "x.json", "native")
    assert back == inst
    assert np.array_equal(back.host_xy, inst.host_xy) and np.array_equal(back.device_xy, inst.device_xy)
    assert back.participation_ratio == inst.participation_ratio


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inst=instances(max_hosts=4, max_devices=6, ids=True, coords=True, integral=False))
def test_csv_round_trip(tmp_path, inst):
    back = _write_read(inst, tmp_path / "folder", "csv")
    assert back == inst
    assert np.array_equal(back.device_xy, inst.device_xy)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inst=instances(max_hosts=4, max_devices=6, integral=False))
def test_authors_round_trip(tmp_path, inst):
    back = _write_read(inst, tmp_path / "a.json", "authors")
    assert back == inst  # default ids; missing links written as null


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(inst=instances(max_hosts=4, max_devices=6, sparse=False, integral=False))
def test_sscflp_round_trip(tmp_path, inst):
    inst = inst.replace(min_participants=inst.n_devices, participation_ratio=None, rounds_ratio=1)
    back = _write_read(inst, tmp_path / "p.txt", "sscflp")
    assert back == inst


def test_sscflp_writer_refuses_what_it_cannot_hold(tmp_path, tiny):
    with pytest.raises(InstanceError, match="p = 1"):
        save_instance(tiny, tmp_path / "t.txt")
    assert not (tmp_path / "t.txt").exists()
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_authors_format_keeps_seed_and_reads_authors_keys(tmp_path):
    inst = hflopt.random_instance(3, 7, participation=0.7, rounds=4, seed=11)
    path = tmp_path / "a.json"
    save_instance(inst, path, format="authors")
    obj = json.loads(path.read_text())
    assert list(obj) == ["seed", "capacities", "workload", "device_costs", "edge_costs",
                         "participation_ratio", "local_to_global_ratio"]
    assert obj["seed"] == 11 and obj["local_to_global_ratio"] == 4
    assert len(obj["device_costs"]) == 7 and len(obj["device_costs"][0]) == 3
    back = load_instance(path)
    assert back == inst and back.metadata["seed"] == 11


def test_native_file_validates_against_shipped_schema(tmp_path, tiny):
    import jsonschema_rs

    from hflopt.io import native

    path = tmp_path / "n.json"
    save_instance(tiny, path)
    jsonschema_rs.validator_for(native.schema()).validate(json.loads(path.read_text()))


def test_save_refuses_unknown_extension(tmp_path, tiny):
    with pytest.raises(InstanceError, match="extension"):
        save_instance(tiny, tmp_path / "x.xlsx")


def test_failed_write_leaves_previous_file_intact(tmp_path, tiny, monkeypatch):
    path = tmp_path / "x.json"
    save_instance(tiny, path)
    before = path.read_bytes()
    from hflopt.io import native

    def boom(_inst):
        raise RuntimeError("disk full")

    monkeypatch.setattr(native, "to_obj", boom)
    with pytest.raises(RuntimeError):
        save_instance(tiny, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_format_override(tmp_path, tiny):
    path = tmp_path / "instance.data"
    save_instance(tiny, path, format="native")
    assert load_instance(path, format="native") == tiny
    with pytest.raises(InstanceError):
        load_instance(path, format="sscflp")


# -------------------------------------------------------------- real SSCFLP files
def test_holmberg_files_with_nul_padding_and_trailing_bytes():
    folder = need(HOLMBERG)
    p10 = (folder / "p10").read_bytes()
    assert b"\0" in p10  # the real files are padded
    inst = load_instance(folder / "p10")
    assert (inst.n_hosts, inst.n_devices) == (10, 50)
    assert inst.min_participants == 50 and inst.rounds_ratio == 1 and inst.is_dense
    p47 = (folder / "p47").read_bytes()
    assert p47.split(b"\0", 1)[1].strip(b"\0")  # junk after the padding
    assert load_instance(folder / "p47").n_devices == 90


def test_sscflp_layout_row_per_facility(tmp_path):
    # 2 facilities, 3 customers; facility 1's row is 7 8 9
    path = tmp_path / "mini"
    path.write_bytes(b"2 3\n10 100.\n20 200.\n1. 2. 3.\n1 2 3\n7 8 9\n\0\0\0\0")
    inst = load_instance(path)
    assert inst.capacity.tolist() == [10, 20]
    assert inst.edge_cost.tolist() == [100, 200]
    assert inst.workload.tolist() == [1, 2, 3]
    assert inst.dense_costs().tolist() == [[1, 7], [2, 8], [3, 9]]


# OR-Library (Beasley's cap41 ... capc): per customer its demand, then the J
# costs, each block on new lines; the same count of numbers as Holmberg's layout
ORLIB = (b" 3 5\n 100 10.0\n 200 20.0\n 300 30.0\n"
         b"  5\n  1.5 2.5 3.5\n  6\n  4.0 5.0\n  6.0\n  7\n 7 8 9\n  8\n 10 11 12\n"
         b"  9\n 13 14\n 15\n")


def test_orlib_layout_is_detected_and_read_per_customer(tmp_path):
    path = tmp_path / "cap_mini.txt"
    path.write_bytes(ORLIB)
    inst = load_instance(path)
    assert inst.metadata["layout"] == "orlib"
    assert inst.capacity.tolist() == [100, 200, 300]
    assert inst.edge_cost.tolist() == [10, 20, 30]
    assert inst.workload.tolist() == [5, 6, 7, 8, 9]
    assert inst.dense_costs().tolist() == [[1.5, 2.5, 3.5], [4, 5, 6], [7, 8, 9], [10, 11, 12],
                                           [13, 14, 15]]
    # forcing either layout is possible; the Holmberg reading is a different problem
    assert load_instance(path, format="orlib") == inst
    holm = load_instance(path, format="holmberg")
    assert holm.metadata["layout"] == "holmberg" and holm.workload.tolist() == [5, 1.5, 2.5, 3.5, 6]


def test_orlib_one_line_per_customer_and_the_holmberg_writer_round_trip(tmp_path):
    path = tmp_path / "one_line.txt"
    path.write_bytes(b"2 4\n10 1\n20 2\n4 1 2\n5 3 4\n6 5 6\n7 7 8\n")
    inst = load_instance(path)
    assert inst.metadata["layout"] == "orlib"
    assert inst.dense_costs().tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]
    out = tmp_path / "back.txt"
    save_instance(inst, out, format="sscflp")  # written in the Holmberg layout
    back = load_instance(out)
    assert back.metadata["layout"] == "holmberg"
    np.testing.assert_array_equal(back.dense_costs(), inst.dense_costs())
    np.testing.assert_array_equal(back.workload, inst.workload)


def test_ambiguous_layout_defaults_to_holmberg(tmp_path):
    # one number per line fits both layouts: Holmberg unless told otherwise
    path = tmp_path / "column.txt"
    path.write_bytes(b"1\n2\n10\n1\n3\n4\n5\n6\n")
    assert load_instance(path).dense_costs().tolist() == [[5], [6]]
    orlib = load_instance(path, format="orlib")
    assert orlib.workload.tolist() == [3, 5] and orlib.dense_costs().tolist() == [[4], [6]]


def test_sscflp_appended_optimum_is_kept_not_misread(tmp_path, capsys):
    # Guastaroba & Speranza's copies of the OR-Library (and other sets) end with the
    # optimal value on a line of its own: one number more than the layout holds
    path = tmp_path / "cap_opt"
    path.write_bytes(b"2 3\n10 100.\n20 200.\n1. 2. 3.\n1 2 3\n7 8 9\n211.5\n")
    inst = load_instance(path)
    assert inst.metadata["reported_optimum"] == 211.5
    assert inst.dense_costs().tolist() == [[1, 7], [2, 8], [3, 9]]
    assert main(["info", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reported_optimum"] == 211.5
    res = hflopt.solve(inst, method="exact")
    assert "file states   optimum 211.5" in res.summary()
    # an extra number that is not on a line of its own is still a count error
    path.write_bytes(b"2 3\n10 100.\n20 200.\n1. 2. 3.\n1 2 3\n7 8 9 211.5\n")
    with pytest.raises(FormatError, match="expected 15 numbers"):
        load_instance(path)


def test_sscflp_other_layout_with_the_same_count_is_refused(tmp_path):
    # TBED1-style: I demands, J capacities, J fixed costs, then costs -- the same count
    # of numbers as Holmberg's layout, and read as Holmberg it would be another problem
    path = tmp_path / "tb_mini"
    path.write_bytes(b"2 3\n1 2 3\n10 20\n100 200\n7 8 9\n4 5 6\n")
    with pytest.raises(FormatError) as err:
        load_instance(path)
    assert err.value.field == "line 2" and "TBED1" in err.value.message
    assert main(["info", str(path)]) == 2
    # forcing a layout reads it regardless (the user's call)
    assert load_instance(path, format="holmberg").metadata["layout"] == "holmberg"
    # a facility block run together on one line is refused too, naming that line
    path.write_bytes(b"2 3\n10 100 20 200\n1 2 3\n1 2 3\n7 8 9\n")
    with pytest.raises(FormatError) as err:
        load_instance(path)
    assert err.value.field == "line 2" and err.value.value == "4 numbers"
    assert "TBED1" not in err.value.message


@pytest.mark.parametrize("content", [b"", b"\0\0\0"])
def test_empty_sscflp(tmp_path, content):
    path = tmp_path / "e"
    path.write_bytes(content)
    with pytest.raises(InstanceError):
        load_instance(path, format="sscflp")


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_garbage_never_crashes(blob):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "blob"
        path.write_bytes(blob)
        for fmt in (None, "sscflp", "native", "authors"):
            try:
                load_instance(path, format=fmt)
            except InstanceError as exc:
                assert "\n" not in str(exc)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=3),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=4),
    max_leaves=12,
)
skeleton_keys = st.sampled_from([
    "format", "version", "hosts", "devices", "links", "capacities", "workload", "device_costs",
    "edge_costs", "participation_ratio", "local_to_global_ratio", "id", "capacity", "cloud_cost",
])


@given(st.dictionaries(skeleton_keys, json_values, max_size=6), st.sampled_from(["native", "authors", None]))
@settings(max_examples=300, deadline=None)
def test_malformed_json_documents_never_crash(doc, fmt):
    import tempfile

    if fmt == "native":
        doc = {"format": "hflopt-instance", "version": 1, **doc}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "doc.json"
        path.write_text(json.dumps(doc))
        try:
            load_instance(path, format=fmt)
        except InstanceError as exc:
            assert "\n" not in str(exc)


# ------------------------------------------------ compressed files, byte-order marks
MINI_SSCFLP = b"2 3\n10 100.\n20 200.\n1. 2. 3.\n1 2 3\n7 8 9\n"


def test_sscflp_file_with_a_utf8_byte_order_mark(tmp_path):
    plain, marked = tmp_path / "plain.txt", tmp_path / "marked.txt"
    plain.write_bytes(MINI_SSCFLP)
    marked.write_bytes(b"\xef\xbb\xbf" + MINI_SSCFLP.replace(b"\n", b"\r\n"))  # as Notepad saves it
    assert detect_format(marked) == "sscflp"
    back = load_instance(marked)
    assert back.dense_costs().tolist() == load_instance(plain).dense_costs().tolist()
    assert back.capacity.tolist() == [10, 20] and back.workload.tolist() == [1, 2, 3]


@pytest.mark.parametrize("module, suffix", [("gzip", ".gz"), ("bz2", ".bz2"), ("lzma", ".xz")])
def test_compressed_files_read_as_the_plain_ones(tmp_path, tiny, module, suffix):
    import importlib

    import networkx as nx

    comp = importlib.import_module(module)
    native = tmp_path / "inst.json"
    save_instance(tiny, native)
    sscflp = tmp_path / "mini.txt"
    sscflp.write_bytes(MINI_SSCFLP)
    G = nx.Graph(cloud="c")
    G.add_node("c", role="cloud")
    G.add_node("h", role="host", capacity=10)
    G.add_node("d", role="device", workload=2)
    G.add_edge("c", "h", weight=3)
    G.add_edge("h", "d", weight=1)
    graphml = tmp_path / "net.graphml"
    nx.write_graphml(G, graphml)
    for plain in (native, sscflp, graphml):
        packed = tmp_path / (plain.name + suffix)
        packed.write_bytes(comp.compress(plain.read_bytes()))
        assert detect_format(packed) == detect_format(plain)
        back, want = load_instance(packed), load_instance(plain)
        assert back == want and back.name == want.name  # named as the plain file would be


def test_bad_compressed_files_and_compressed_output_get_one_message(tmp_path, tiny, capsys):
    import gzip

    native = tmp_path / "inst.json"
    save_instance(tiny, native)
    truncated = tmp_path / "cut.json.gz"
    truncated.write_bytes(gzip.compress(native.read_bytes())[:40])
    with pytest.raises(FormatError, match="gzip data ends early"):
        load_instance(truncated)
    fake = tmp_path / "fake.json.gz"
    fake.write_bytes(native.read_bytes())  # named .gz, not compressed
    with pytest.raises(FormatError, match="is not valid gzip data"):
        load_instance(fake)
    xz_named = tmp_path / "other.json.xz"
    xz_named.write_bytes(gzip.compress(native.read_bytes()))  # gzip data under an .xz name
    with pytest.raises(FormatError, match="is not valid xz data"):
        load_instance(xz_named)
    for bad in (truncated, fake, xz_named):
        assert main(["info", str(bad)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"hflopt: {bad}")
    # compressed output: the JSON formats only, refused before anything is written otherwise
    sscflp = tmp_path / "p.txt"
    sscflp.write_bytes(MINI_SSCFLP)
    with pytest.raises(InstanceError, match="compressed output is written for the JSON formats only"):
        save_instance(load_instance(sscflp), tmp_path / "out.txt.gz")
    assert main(["convert", str(sscflp), str(tmp_path / "out.txt.gz")]) == 2
    assert not (tmp_path / "out.txt.gz").exists()


@pytest.mark.parametrize("suffix, module", [(".gz", "gzip"), (".bz2", "bz2"), (".xz", "lzma")])
def test_json_instances_and_results_are_written_compressed(tmp_path, tiny, suffix, module, capsys):
    import importlib

    comp = importlib.import_module(module)
    for fmt, name in (("native", "inst.json"), ("authors", "authors.json")):
        packed = tmp_path / (name + suffix)
        assert save_instance(tiny, packed, format=fmt if fmt == "authors" else None) == fmt
        json.loads(comp.decompress(packed.read_bytes()))  # really compressed JSON
        assert load_instance(packed) == tiny
    first = (tmp_path / ("inst.json" + suffix)).read_bytes()
    save_instance(tiny, tmp_path / ("inst.json" + suffix))
    assert (tmp_path / ("inst.json" + suffix)).read_bytes() == first  # same instance, same bytes
    out = tmp_path / ("result.json" + suffix)
    assert main(["solve", str(tmp_path / ("inst.json" + suffix)), "-q", "-o", str(out)]) == 0
    result = json.loads(comp.decompress(out.read_bytes()))
    assert result["status"] == "optimal" and result["objective"] == hflopt.solve(tiny).objective


def test_csv_table_folders_are_not_private(tmp_path):
    """Regression: the folder came from mkdtemp with mode 0o700; a new one gets 0o755 as files get 0o644,
    a replaced one keeps its mode."""
    inst = hflopt.random_instance(3, 8, seed=1)
    hflopt.save(inst, tmp_path / "tables", format="csv")
    assert (tmp_path / "tables").stat().st_mode & 0o777 == 0o755
    (tmp_path / "tables").chmod(0o750)
    hflopt.save(inst, tmp_path / "tables", format="csv")
    assert (tmp_path / "tables").stat().st_mode & 0o777 == 0o750
