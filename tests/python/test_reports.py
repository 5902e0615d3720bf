"""The lot reports, checked from outside the C++.

Runs the built `seedval lot` on a simulated lot, validates yield.json and bins.json against
reports/schema/*.schema.json with an independent validator (jsonschema, draft 2020-12), and recomputes
every figure the reports state from units.jsonl (one JSON object per insertion) with arithmetic written
here, not in seedval. Run by CTest (test python_reports) with SEEDVAL_ROOT (the source tree) and
SEEDVAL_BIN (the seedval executable) set; by hand:

    SEEDVAL_ROOT=$PWD SEEDVAL_BIN=build/release/apps/seedval/seedval /usr/bin/python3 -m pytest -q tests/python
"""

import copy
import hashlib
import json
import math
import os
import pathlib
import signal
import statistics
import subprocess
from collections import Counter, defaultdict

import jsonschema
import pytest
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(os.environ.get("SEEDVAL_ROOT", pathlib.Path(__file__).resolve().parents[2]))
SCHEMA_DIR = ROOT / "reports" / "schema"
UNITS = 60
PROGRAM = ROOT / "fixtures" / "programs" / "seedchip-production.json"


def seedval_bin():
    path = os.environ.get("SEEDVAL_BIN")
    if not path:
        pytest.fail("SEEDVAL_BIN is not set: run through CTest, or set it to the built seedval executable")
    if not os.access(path, os.X_OK):
        pytest.fail(f"SEEDVAL_BIN={path} is not an executable")
    return path


def load_schema(name):
    with open(SCHEMA_DIR / f"{name}.schema.json", encoding="utf-8") as f:
        return json.load(f)


def schema_errors(schema, document):
    return sorted(Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))


# --- the lot ------------------------------------------------------------------------------------------

# Two boards: the default descriptor, and one that includes it with a high contact-failure rate so the
# lot has tester errors, retests and recoveries to account for.
BOARDS = {
    "default": None,
    "flaky-contact": {"contact_failure_rate": 0.2},
}


class Lot:
    def __init__(self, out, board):
        self.out = out
        self.board = board
        with open(out / "yield.json", encoding="utf-8") as f:
            self.yield_ = json.load(f)
        with open(out / "bins.json", encoding="utf-8") as f:
            self.bins = json.load(f)
        with open(out / "units.jsonl", encoding="utf-8") as f:
            self.lines = [line for line in f.read().split("\n") if line]
        self.records = [json.loads(line) for line in self.lines]


@pytest.fixture(scope="module", params=sorted(BOARDS))
def lot(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    cmd = [seedval_bin(), "lot", "--units", str(UNITS), "--out", str(tmp / "lot"), "--quiet", "--station", "pytest"]
    overrides = BOARDS[request.param]
    if overrides is not None:
        board = tmp / f"{request.param}.json"
        board.write_text(json.dumps({"include": str(ROOT / "boards" / "seedchip-sim.json"), **overrides}))
        cmd += ["--board", str(board)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    assert "yield.json" in done.stdout
    return Lot(tmp / "lot", request.param)


@pytest.fixture(scope="module")
def program():
    with open(PROGRAM, encoding="utf-8") as f:
        return json.load(f)


def die_key(record):
    d = record["die"]
    return (d["lot"], d["wafer"], d["x"], d["y"])


def first_and_last(records):
    """Per unit (keyed by die): its first and last insertion, and how many it had."""
    units = {}
    for r in records:
        key = die_key(r)
        if key not in units:
            units[key] = {"first": r, "last": r, "n": 0}
        u = units[key]
        u["n"] += 1
        if r["insertion"] < u["first"]["insertion"]:
            u["first"] = r
        if r["insertion"] >= u["last"]["insertion"]:
            u["last"] = r
    return units


def ratios(node, path="$"):
    """Every ratio object ({numerator, denominator, value}) in a document, with its path."""
    if isinstance(node, dict):
        if set(node) == {"numerator", "denominator", "value"}:
            yield path, node
        for k, v in node.items():
            yield from ratios(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from ratios(v, f"{path}[{i}]")


# --- the schemas themselves --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["yield", "bins"])
def test_schema_is_a_valid_draft_2020_12_schema(name):
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"{name}.schema.json")
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("name", ["yield", "bins"])
def test_every_property_a_reader_needs_is_described(name):
    # Walks the schema: every named property has a description (on itself or on what it refers to).
    schema = load_schema(name)
    defs = schema["$defs"]
    missing = []

    def described(s):
        if "description" in s:
            return True
        ref = s.get("$ref", "")
        return ref.startswith("#/$defs/") and "description" in defs[ref.split("/")[-1]]

    def walk(s, path):
        if not isinstance(s, dict):
            return
        for key, sub in s.get("properties", {}).items():
            if not described(sub):
                missing.append(f"{path}.{key}")
            walk(sub, f"{path}.{key}")
        for key in ("items", "additionalProperties"):
            walk(s.get(key), f"{path}[]")
        for key, sub in s.get("$defs", {}).items():
            walk(sub, f"$defs.{key}")

    walk(schema, "$")
    assert not missing, f"properties without a description: {missing}"


# --- the reports match their schemas ------------------------------------------------------------------


def test_yield_json_matches_its_schema(lot):
    errors = schema_errors(load_schema("yield"), lot.yield_)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_bins_json_matches_its_schema(lot):
    errors = schema_errors(load_schema("bins"), lot.bins)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_reports_check_themselves_and_say_so(lot):
    assert lot.yield_["checks"] == {"bins_sum_to_units": True, "fpy_le_fy": True, "sites_sum_to_units": True}
    assert lot.bins["checks"] == {"bins_sum_to_units": True}
    assert lot.yield_["provenance"] == lot.bins["provenance"]
    assert lot.yield_["provenance"]["cancelled"] is False
    assert lot.yield_["provenance"]["station"] == "pytest"


# --- the schemas catch broken reports -----------------------------------------------------------------


def broken_yields(y):
    """(what was broken, a copy of yield.json broken that way)."""

    def edit(what, change):
        doc = copy.deepcopy(y)
        change(doc)
        return what, doc

    yield edit("counts.units dropped", lambda d: d["counts"].pop("units"))
    yield edit("negative count", lambda d: d["counts"].__setitem__("aborts", -1))
    yield edit("misspelt key", lambda d: d["counts"].__setitem__("unit", d["counts"].pop("units")))
    yield edit("extra top-level key", lambda d: d.__setitem__("yeild", {}))
    yield edit("count as a string", lambda d: d["counts"].__setitem__("insertions", str(d["counts"]["insertions"])))
    yield edit("count as a float", lambda d: d["counts"].__setitem__("insertions", 1.5))
    yield edit("ratio without value", lambda d: d["yield"]["final"].pop("value"))
    yield edit("negative numerator", lambda d: d["yield"]["first_pass"].__setitem__("numerator", -3))
    yield edit("value as text", lambda d: d["yield"]["final"].__setitem__("value", "0.9"))
    yield edit("wrong schema name", lambda d: d.__setitem__("schema", "seedval.bins"))
    yield edit("wrong schema version", lambda d: d.__setitem__("schema_version", 2))
    yield edit("sha256 not hex", lambda d: d["provenance"]["program"].__setitem__("sha256", "xyz"))
    yield edit("time without offset", lambda d: d["provenance"].__setitem__("start_time", "2026-01-01T00:00:00"))
    yield edit("distribution without p90", lambda d: d["test_time"]["per_insertion_s"].pop("p90"))
    yield edit("negative sigma", lambda d: d["test_time"]["per_insertion_s"].__setitem__("sigma", -1.0))
    yield edit("test stats without ppk", lambda d: d["tests"][0].pop("ppk"))
    yield edit("site with an extra key", lambda d: d["sites"][0].__setitem__("yield", 1))
    yield edit("check as a string", lambda d: d["checks"].__setitem__("fpy_le_fy", "true"))


def broken_bins(b):
    def edit(what, change):
        doc = copy.deepcopy(b)
        change(doc)
        return what, doc

    yield edit("units dropped", lambda d: d.pop("units"))
    yield edit("negative bin count", lambda d: d["final"]["hard_bins"][0].__setitem__("count", -1))
    yield edit("negative per-site count", lambda d: d["final"]["soft_bins"][0]["per_site"].__setitem__("0", -2))
    yield edit("site key not a number", lambda d: d["final"]["soft_bins"][0]["per_site"].__setitem__("site0", 1))
    yield edit("hard bin with an extra key", lambda d: d["final"]["hard_bins"][0].__setitem__("hard_bin", 1))
    yield edit("soft bin without hard_bin", lambda d: d["first_pass"]["soft_bins"][0].pop("hard_bin"))
    yield edit("soft bin with misspelt key", lambda d: d["final"]["soft_bins"][0].__setitem__("nmae", "x"))
    yield edit("pass as a number", lambda d: d["final"]["hard_bins"][0].__setitem__("pass", 1))
    yield edit("hard bin number out of range", lambda d: d["final"]["hard_bins"][0].__setitem__("number", 40000))
    yield edit("table without pareto", lambda d: d["final"].pop("pareto"))
    yield edit("pareto entry with zero count",
               lambda d: d["final"]["pareto"].append(dict(soft_bin=2, name="x", hard_bin=2, count=0,
                                                          share=dict(numerator=0, denominator=1, value=0.0),
                                                          cumulative_share=dict(numerator=0, denominator=1, value=0.0))))
    yield edit("map entry with extra key", lambda d: d["soft_to_hard"][0].__setitem__("name", "pass"))
    yield edit("provenance dropped", lambda d: d.pop("provenance"))


def test_schema_rejects_broken_yield_reports(lot):
    schema = load_schema("yield")
    assert not schema_errors(schema, lot.yield_)  # the unbroken one passes, so each failure below is the edit
    accepted = [what for what, doc in broken_yields(lot.yield_) if not schema_errors(schema, doc)]
    assert not accepted, f"yield.schema.json accepted: {accepted}"


def test_schema_rejects_broken_bins_reports(lot):
    schema = load_schema("bins")
    assert not schema_errors(schema, lot.bins)
    accepted = [what for what, doc in broken_bins(lot.bins) if not schema_errors(schema, doc)]
    assert not accepted, f"bins.schema.json accepted: {accepted}"


def test_a_broken_yield_report_fails_validation_with_the_key_named(lot):
    schema = load_schema("yield")
    doc = copy.deepcopy(lot.yield_)
    del doc["counts"]["passed_final"]
    with pytest.raises(jsonschema.ValidationError, match="passed_final"):
        jsonschema.validate(doc, schema, cls=Draft202012Validator)
    doc = copy.deepcopy(lot.yield_)
    doc["counts"]["units"] = -1
    with pytest.raises(jsonschema.ValidationError, match="-1"):
        jsonschema.validate(doc, schema, cls=Draft202012Validator)


# --- counts add up ------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["final", "first_pass"])
def test_bin_counts_add_up_to_units(lot, table):
    units = lot.bins["units"]
    t = lot.bins[table]
    assert units == lot.yield_["counts"]["units"] == UNITS
    assert sum(b["count"] for b in t["hard_bins"]) == units
    assert sum(b["count"] for b in t["soft_bins"]) == units
    for b in t["hard_bins"] + t["soft_bins"]:
        assert sum(b["per_site"].values()) == b["count"], b
        assert b["share"]["numerator"] == b["count"] and b["share"]["denominator"] == units, b
    # Each hard bin holds exactly the units of the soft bins that map to it.
    by_hard = Counter()
    for b in t["soft_bins"]:
        by_hard[b["hard_bin"]] += b["count"]
    for b in t["hard_bins"]:
        assert by_hard[b["number"]] == b["count"], b


def test_per_site_counts_add_up(lot):
    sites = lot.yield_["sites"]
    assert sum(s["units"] for s in sites) == lot.yield_["counts"]["units"]
    assert sum(s["final_yield"]["numerator"] for s in sites) == lot.yield_["yield"]["final"]["numerator"]
    assert sum(s["first_pass_yield"]["numerator"] for s in sites) == lot.yield_["yield"]["first_pass"]["numerator"]
    assert sum(s["test_time_s"]["n"] for s in sites) == lot.yield_["counts"]["insertions"]
    # A unit belongs to the site of its last insertion, which is where its final bin came from.
    for s in sites:
        in_bins = sum(b["per_site"].get(str(s["site"]), 0) for b in lot.bins["final"]["hard_bins"])
        assert in_bins == s["units"], s["site"]


def test_yields_are_ordered(lot):
    c = lot.yield_["counts"]
    y = lot.yield_["yield"]
    assert y["first_pass"]["numerator"] == c["passed_first"]
    assert y["final"]["numerator"] == c["passed_final"]
    assert c["passed_first"] <= c["passed_final"] <= c["units"]
    assert y["first_pass"]["denominator"] == y["final"]["denominator"] == y["retest_rate"]["denominator"] == c["units"]
    assert c["insertions"] >= c["units"]
    pass_bins = {b["number"] for b in lot.bins["final"]["hard_bins"] if b["pass"]}
    assert sum(b["count"] for b in lot.bins["final"]["hard_bins"] if b["number"] in pass_bins) == c["passed_final"]
    assert sum(b["count"] for b in lot.bins["first_pass"]["hard_bins"] if b["pass"]) == c["passed_first"]


@pytest.mark.parametrize("report", ["yield", "bins"])
def test_every_ratio_value_is_numerator_over_denominator(lot, report):
    doc = lot.yield_ if report == "yield" else lot.bins
    found = list(ratios(doc))
    assert len(found) >= 4
    for path, r in found:
        assert 0 <= r["numerator"] <= r["denominator"], path
        if r["denominator"] == 0:
            assert r["value"] is None, path
        else:
            # Both sides are one correctly rounded IEEE division of the same integers: exactly equal.
            assert r["value"] == r["numerator"] / r["denominator"], path


@pytest.mark.parametrize("table", ["final", "first_pass"])
def test_pareto_is_sorted_and_cumulates_to_the_fails(lot, table):
    t = lot.bins[table]
    pareto = t["pareto"]
    failing = [b for b in t["soft_bins"] if not b["pass"] and b["count"] > 0]
    assert sorted(p["soft_bin"] for p in pareto) == sorted(b["number"] for b in failing)
    fails = sum(b["count"] for b in t["hard_bins"] if not b["pass"])
    counts = [p["count"] for p in pareto]
    assert counts == sorted(counts, reverse=True)
    running = 0
    previous = 0
    for p in pareto:
        running += p["count"]
        assert p["cumulative_share"]["numerator"] == running
        assert p["cumulative_share"]["numerator"] >= previous
        previous = p["cumulative_share"]["numerator"]
        assert p["cumulative_share"]["denominator"] == lot.bins["units"]
        soft = next(b for b in t["soft_bins"] if b["number"] == p["soft_bin"])
        assert (p["name"], p["hard_bin"], p["count"]) == (soft["name"], soft["hard_bin"], soft["count"])
    assert running == fails
    if pareto:
        assert pareto[-1]["cumulative_share"]["numerator"] == fails


# --- figures recomputed from units.jsonl ----------------------------------------------------------------


def test_unit_log_has_one_object_per_insertion(lot):
    assert len(lot.lines) == lot.yield_["counts"]["insertions"]
    assert all(line.startswith("{") and line.endswith("}") for line in lot.lines)
    assert len({die_key(r) for r in lot.records}) == UNITS
    # Every unit's first insertion comes first, in handler order; retests follow.
    firsts = [r["unit"] for r in lot.records if r["insertion"] == 1]
    assert firsts == list(range(UNITS))


def test_yields_recomputed_from_unit_log(lot):
    units = first_and_last(lot.records)
    u = len(units)
    fpy = sum(1 for x in units.values() if x["first"]["passed"])
    fy = sum(1 for x in units.values() if x["last"]["passed"])
    retested = [x for x in units.values() if x["n"] > 1]
    first_fail_retested = [x for x in retested if not x["first"]["passed"]]
    recovered = [x for x in first_fail_retested if x["last"]["passed"]]
    y = lot.yield_["yield"]
    c = lot.yield_["counts"]
    assert c["units"] == u
    assert c["insertions"] == len(lot.records)
    assert c["aborts"] == sum(1 for r in lot.records if r["aborted"])
    assert c["tester_errors_final"] == sum(1 for x in units.values() if x["last"]["tester_error"])
    assert (y["first_pass"]["numerator"], y["first_pass"]["denominator"]) == (fpy, u)
    assert (y["final"]["numerator"], y["final"]["denominator"]) == (fy, u)
    assert (y["retest_rate"]["numerator"], y["retest_rate"]["denominator"]) == (len(retested), u)
    assert (y["recovery_rate"]["numerator"], y["recovery_rate"]["denominator"]) == (
        len(recovered), len(first_fail_retested))
    if lot.board == "flaky-contact":
        # One contact in five fails: this lot must have exercised retest and recovery.
        assert retested and recovered


@pytest.mark.parametrize("table", ["final", "first_pass"])
def test_bins_recomputed_from_unit_log(lot, table):
    units = first_and_last(lot.records)
    which = "last" if table == "final" else "first"
    hard = Counter(x[which]["hard_bin"] for x in units.values())
    soft = Counter(x[which]["soft_bin"] for x in units.values())
    site_hard = defaultdict(Counter)
    for x in units.values():
        site_hard[x[which]["hard_bin"]][str(x[which]["site"])] += 1
    t = lot.bins[table]
    assert {b["number"]: b["count"] for b in t["hard_bins"] if b["count"]} == dict(hard)
    assert {b["number"]: b["count"] for b in t["soft_bins"] if b["count"]} == dict(soft)
    for b in t["hard_bins"]:
        assert b["per_site"] == dict(site_hard[b["number"]]), b


def test_retests_follow_the_program(lot, program):
    max_insertions = program["retest"]["max_insertions"]
    retest_bins = set(program["retest"]["hard_bins"])
    te_hard = next(s["hard_bin"] for s in program["soft_bins"] if s["number"] == program["tester_error_bin"])
    retest_bins.add(te_hard)
    by_die = defaultdict(list)
    for r in lot.records:
        by_die[die_key(r)].append(r)
    for key, rs in by_die.items():
        insertions = [r["insertion"] for r in rs]
        assert insertions == list(range(1, len(rs) + 1)), key
        assert len(rs) <= max_insertions, key
        for earlier in rs[:-1]:
            assert not earlier["passed"] and earlier["hard_bin"] in retest_bins, (key, earlier["hard_bin"])
        last = rs[-1]
        if len(rs) < max_insertions:
            assert last["passed"] or last["hard_bin"] not in retest_bins, key


def test_unit_log_bins_agree_with_the_program_map(lot, program):
    soft_to_hard = {m["soft_bin"]: m["hard_bin"] for m in lot.bins["soft_to_hard"]}
    assert soft_to_hard == {s["number"]: s["hard_bin"] for s in program["soft_bins"]}
    soft_names = {b["number"]: b["name"] for b in lot.bins["final"]["soft_bins"]}
    hard = {b["number"]: b for b in lot.bins["final"]["hard_bins"]}
    for r in lot.records:
        assert soft_to_hard[r["soft_bin"]] == r["hard_bin"], r["part_id"]
        assert r["soft_bin_name"] == soft_names[r["soft_bin"]]
        assert r["hard_bin_name"] == hard[r["hard_bin"]]["name"]
        # A tester error is never a pass; a pass is only ever a pass bin.
        assert not (r["passed"] and r["tester_error"]), r["part_id"]
        assert r["passed"] == (hard[r["hard_bin"]]["pass"] and not r["tester_error"]), r["part_id"]
        if r["tester_error"]:
            assert r["soft_bin"] == program["tester_error_bin"], r["part_id"]


def test_test_statistics_recomputed_from_unit_log(lot):
    values = defaultdict(list)
    executions = Counter()
    fails = Counter()
    for r in lot.records:
        for s in r["steps"]:
            for m in s["measurements"]:
                key = (s["id"], m["name"])
                executions[key] += 1
                fails[key] += m["outcome"] == "failed"
                if m["value"] is not None:
                    values[key].append(m["value"])
    assert lot.yield_["tests"], "no per-test statistics"
    for t in lot.yield_["tests"]:
        key = (t["step"], t["measurement"])
        assert t["executions"] == executions[key], key
        assert t["fails"] == fails[key], key
        v = sorted(values[key])
        d = t["values"]
        assert d["n"] == len(v), key
        if v:
            mean = sum(v) / len(v)
            assert d["min"] == v[0] and d["max"] == v[-1], key
            assert d["mean"] == pytest.approx(mean, rel=1e-9, abs=1e-12), key
            if len(v) > 1:
                sigma = math.sqrt(sum((x - mean) ** 2 for x in v) / (len(v) - 1))
                assert d["sigma"] == pytest.approx(sigma, rel=1e-6, abs=1e-12), key
            assert d["min"] <= d["p25"] <= d["median"] <= d["p75"] <= d["p90"] <= d["max"], key


def test_test_time_covers_every_insertion(lot):
    tt = lot.yield_["test_time"]["per_insertion_s"]
    times = [r["test_time_s"] for r in lot.records]
    assert tt["n"] == len(times)
    assert tt["min"] == min(times) and tt["max"] == max(times)
    assert tt["mean"] == pytest.approx(sum(times) / len(times), rel=1e-9)
    site_count = lot.yield_["provenance"]["site_count"]
    assert lot.yield_["test_time"]["units_per_hour"] == pytest.approx(3600 * site_count / tt["mean"], rel=1e-9)


def test_provenance_hashes_are_the_files_hashes(lot):
    prov = lot.yield_["provenance"]
    assert prov["inputs"], "no input files recorded"
    for f in prov["inputs"]:
        with open(f["path"], "rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == f["sha256"], f["path"]
    with open(prov["program"]["file"], "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == prov["program"]["sha256"]
    with open(prov["board"]["file"], "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == prov["board"]["sha256"]
    assert prov["program"]["name"] == "seedchip-production"
    assert prov["start_time"] <= prov["finish_time"]


# --- other reports the schemas must describe -------------------------------------------------------------


def test_golden_bins_report_matches_the_schema():
    # tests/reports/golden/bins_small.json: a hand-built two-site lot with retests (see tests/reports).
    with open(ROOT / "tests" / "reports" / "golden" / "bins_small.json", encoding="utf-8") as f:
        golden = json.load(f)
    errors = schema_errors(load_schema("bins"), golden)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert golden["first_pass"]["hard_bins"][0]["per_site"] == {"0": 3}


def test_a_stopped_lot_writes_valid_reports_that_say_so(tmp_path):
    # Ctrl-C during a lot: the unit in flight ends, the reports are written and say the lot was cancelled.
    out = tmp_path / "stopped"
    cmd = [seedval_bin(), "lot", "--units", "400", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        progress = 0
        for line in proc.stderr:
            if "units/s" in line:
                progress += 1
                if progress == 2:
                    proc.send_signal(signal.SIGINT)
                    break
        stdout, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert progress == 2, "the lot ended before it could be stopped"
    assert proc.returncode == 3, stdout  # a lot that did not finish is not "done"
    assert "STOPPED early" in stdout
    y = json.loads((out / "yield.json").read_text(encoding="utf-8"))
    b = json.loads((out / "bins.json").read_text(encoding="utf-8"))
    assert not schema_errors(load_schema("yield"), y)
    assert not schema_errors(load_schema("bins"), b)
    assert y["provenance"]["cancelled"] is True
    assert y["checks"] == {"bins_sum_to_units": True, "fpy_le_fy": True, "sites_sum_to_units": True}
    records = [json.loads(line) for line in (out / "units.jsonl").read_text(encoding="utf-8").splitlines()]
    assert 0 < len(records) < 400
    assert y["counts"]["insertions"] == len(records)
    assert y["counts"]["aborts"] == sum(1 for r in records if r["aborted"]) <= 1
    for r in records:
        if r["aborted"]:
            assert r["tester_error"] and not r["passed"]


def test_trace_and_wafer_view_recomputed_from_unit_log(lot):
    units = first_and_last(lot.records)
    trace = lot.yield_["trace"]
    cols = trace["columns"]
    rows = [dict(zip(cols, row)) for row in trace["rows"]]
    assert len(rows) == len(units) == lot.yield_["counts"]["units"]
    seen = set()
    for r in rows:
        key = (r["lot"], r["wafer"], r["x"], r["y"])
        assert key not in seen
        seen.add(key)
        u = units[key]
        assert r["part_id"] == u["last"]["part_id"]
        assert r["ecid"] == u["last"]["ecid"]
        assert r["site"] == u["last"]["site"]
        assert r["insertions"] == u["n"]
        assert r["first_hard_bin"] == u["first"]["hard_bin"]
        assert r["hard_bin"] == u["last"]["hard_bin"]
        assert r["soft_bin"] == u["last"]["soft_bin"]
        assert r["passed"] == u["last"]["passed"]
        assert r["grade"] == (u["last"].get("grade", "") if u["last"]["passed"] else "")
        total = sum(x["test_time_s"] for x in lot.records if die_key(x) == key)
        assert r["test_time_s"] == pytest.approx(total, rel=1e-9, abs=1e-9)
    dies = {(w["lot"], w["wafer"], x, y): b for w in lot.yield_["wafers"] for x, y, b in w["dies"]}
    assert dies == {k: u["last"]["hard_bin"] for k, u in units.items()}


def test_grade_measurements_and_efficiency_recomputed(lot, program):
    units = first_and_last(lot.records)
    for g in lot.yield_["grades"]:
        for m in g["measurements"]:
            step, name = m["measurement"].split(".", 1)
            values = [x["value"] for u in units.values() if u["last"]["passed"] and u["last"].get("grade") == g["grade"]
                      for s in u["last"]["steps"] if s["id"] == step for x in s["measurements"] if x["name"] == name]
            assert m["values"]["n"] == len(values) == g["units"]["numerator"]
            if values:
                assert m["values"]["mean"] == pytest.approx(statistics.fmean(values))
    e = lot.yield_["test_time"]["multi_site_efficiency"]
    assert e["sites"] == lot.yield_["provenance"]["site_count"]
    assert e["t1_s"] == pytest.approx(statistics.fmean(x["test_time_s"] for x in lot.records))
    assert e["tn_s"] == pytest.approx(e["active_s"] * e["sites"] / len(lot.records))
    if e["sites"] == 1:
        assert e["value"] is None
