"""`seedval report` rebuilds a lot's reports from its results store, one lot or many; `seedval audit`
compares a simulated lot's bins with the model's ground truth; `--limits` layers shape the verdicts and
their hashes are kept with every unit.

Runs the built seedval (SEEDVAL_BIN) on small simulated lots and checks the files it writes with the
standard library and jsonschema (against reports/schema/).
"""

import json
import os
import pathlib
import shutil
import sqlite3
import subprocess

import jsonschema
import pytest

ROOT = pathlib.Path(os.environ.get("SEEDVAL_ROOT", pathlib.Path(__file__).resolve().parents[2]))


def seedval(*args, expect=0):
    path = os.environ.get("SEEDVAL_BIN")
    if not path:
        pytest.fail("SEEDVAL_BIN is not set: run through CTest, or set it to the built seedval executable")
    r = subprocess.run([path, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert r.returncode == expect, f"seedval {' '.join(map(str, args))}: exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def load(path):
    return json.loads(pathlib.Path(path).read_text())


def validate(report, name):
    schema = load(ROOT / "reports" / "schema" / f"{name}.schema.json")
    jsonschema.validate(report, schema)


@pytest.fixture(scope="module")
def lots(tmp_path_factory):
    base = tmp_path_factory.mktemp("lots")
    seedval("lot", "--units", 30, "--sites", 2, "--lot", "RPA", "--out", base / "a", "--quiet")
    seedval("lot", "--units", 12, "--lot", "RPB", "--out", base / "b", "--quiet")
    return base


def test_report_of_one_lot_matches_the_lots_own(lots, tmp_path):
    seedval("report", lots / "a", "--out", tmp_path / "r")
    for name in ("yield.json", "bins.json", "RPA.stdf", "junit.xml", "report.html"):
        assert (tmp_path / "r" / name).read_bytes() == (lots / "a" / name).read_bytes(), name
    assert not list((tmp_path / "r").glob(".*")), "a scratch file was left behind"


def test_report_of_many_lots_adds_them_up(lots, tmp_path):
    out = tmp_path / "r"
    r = seedval("report", lots / "a", lots / "b", "--out", out)
    assert "2 lots together" in r.stdout
    a, b, both = load(out / "RPA" / "yield.json"), load(out / "RPB" / "yield.json"), load(out / "yield.json")
    validate(both, "yield")
    validate(load(out / "bins.json"), "bins")
    for key in ("units", "insertions", "passed_first", "passed_final"):
        assert both["counts"][key] == a["counts"][key] + b["counts"][key], key
    assert both["provenance"]["lot"] == "RPA+RPB"
    assert all(both["checks"].values()), both["checks"]
    bins = load(out / "bins.json")
    hard_total = sum(x["count"] for x in bins["final"]["hard_bins"])
    assert hard_total == both["counts"]["units"]
    # One page for the lots together, with both lots' wafers; no STDF or JUnit for them (each lot has its own).
    page = (out / "report.html").read_text()
    assert "Lot RPA+RPB" in page
    assert page.count('class="wafer"') == len(both["wafers"]) >= 2
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == ["bins.json", "report.html", "yield.json"]
    # Only some lots, by id.
    seedval("report", lots / "a", lots / "b", "--lot", "RPB", "--out", tmp_path / "only")
    assert load(tmp_path / "only" / "yield.json")["provenance"]["lot"] == "RPB"


def test_report_errors_name_what_is_wrong(lots, tmp_path):
    r = seedval("report", tmp_path / "nothing-here", "--out", tmp_path / "r", expect=2)
    assert "no results store here" in r.stderr
    r = seedval("report", lots / "a", lots / "a", "--out", tmp_path / "r", expect=2)
    assert "lot RPA is in more than one of the stores given" in r.stderr
    r = seedval("report", lots / "a", "--lot", "NOPE", "--out", tmp_path / "r", expect=2)
    assert "no store given holds lot NOPE" in r.stderr
    # Reading a folder never creates a store in it.
    assert not (tmp_path / "nothing-here").exists()


def test_audit_compares_bins_with_the_ground_truth(lots):
    r = subprocess.run([os.environ["SEEDVAL_BIN"], "audit", str(lots / "a"), "--json"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode in (0, 1), r.stderr
    audit = json.loads(r.stdout)
    y = load(lots / "a" / "yield.json")
    assert audit["units"] == y["counts"]["units"]
    assert audit["defective"] + audit["good"] == audit["units"]
    assert audit["passed"] == y["counts"]["passed_final"]
    assert audit["escapes"] == len(audit["escaped_units"])
    assert audit["overkill"] == len(audit["overkill_units"])
    assert (r.returncode == 1) == (audit["covered_escapes"] > 0)
    covered = [c for c in audit["classes"] if c["covered"]]
    assert {"SAF", "stuck bit", "slow die"} <= {c["class"] for c in covered}
    for c in audit["classes"]:
        assert c["units"] == c["caught"] + c["escapes"] + c["untested"], c
    for u in audit["escaped_units"]:
        assert u["defects"], "an escape without a defect"
    # The text form says the same totals.
    text = seedval("audit", lots / "a", expect=r.returncode).stdout
    assert f"escapes   {audit['escapes']} " in text


def test_audit_refuses_a_lot_whose_board_files_changed(lots, tmp_path):
    # A copy of the board whose population file differs: the ground truth would not be the lot's.
    shutil.copytree(lots / "a", tmp_path / "a")
    board = load(ROOT / "boards" / "seedchip-sim.json")
    pop = load(ROOT / "fixtures" / "populations" / "a0-typical.json")
    pop["seed"] = pop.get("seed", 1) + 1
    (tmp_path / "a0-typical.json").write_text(json.dumps(pop))
    board.pop("include", None)
    board["population"] = "a0-typical.json"
    (tmp_path / "seedchip-sim.json").write_text(json.dumps(board))
    r = seedval("audit", tmp_path / "a", "--board", tmp_path / "seedchip-sim.json", expect=2)
    assert "changed since the lot was tested" in r.stderr


def test_limits_layers_shape_verdicts_and_are_hashed_into_every_unit(tmp_path):
    tight = tmp_path / "tight.json"
    tight.write_text(json.dumps({
        "limits": "tight-power", "layer": "temperature", "program": "seedchip-production",
        "steps": {"idle_power": {"limits": {"power": {"high": 0.5}}}}}))
    out = tmp_path / "lot"
    seedval("lot", "--units", 6, "--lot", "LIM", "--out", out, "--quiet", "--limits", "seedchip-a0-product",
            "--limits", tight, "--temperature", 85)
    y = load(out / "yield.json")
    assert y["provenance"]["temperature_c"] == 85
    inputs = {pathlib.Path(i["path"]).name: i["sha256"] for i in y["provenance"]["inputs"]}
    assert "tight.json" in inputs and "seedchip-a0-product.json" in inputs
    units = [json.loads(line) for line in (out / "units.jsonl").read_text().splitlines()]
    assert units
    for u in units:
        assert inputs["tight.json"] in u["input_hashes"]
        assert u["input_hashes"].index(inputs["seedchip-a0-product.json"]) < u["input_hashes"].index(
            inputs["tight.json"])
        # 0.5 W is below any die's idle power: a unit that got that far fails it.
        for s in u["steps"]:
            if s["id"] == "idle_power":
                power = [m for m in s["measurements"] if m["name"] == "power"][0]
                assert power["high"] == 0.5
                assert power["outcome"] == "failed"
    # Resuming with other limits is refused; the store is untouched.
    db = sqlite3.connect(out / "results.db")
    before = db.execute("SELECT COUNT(*) FROM insertions").fetchone()[0]
    db.close()
    r = seedval("lot", "--units", 6, "--lot", "LIM", "--out", out, "--quiet", "--resume", "--limits",
                "seedchip-a0-product", expect=2)
    assert "limits files" in r.stderr
    db = sqlite3.connect(out / "results.db")
    assert db.execute("SELECT COUNT(*) FROM insertions").fetchone()[0] == before
    db.close()
    # report re-applies the layers: the same verdict figures.
    seedval("report", out, "--out", tmp_path / "r")
    assert (tmp_path / "r" / "yield.json").read_bytes() == (out / "yield.json").read_bytes()


def test_the_manual_handler_asks_the_operator_and_tells_the_bins(tmp_path):
    out = tmp_path / "bench"
    r = subprocess.run([os.environ["SEEDVAL_BIN"], "lot", "--handler", "manual", "--units", "5", "--lot", "BNC",
                        "--out", str(out)], input="\nBNC-W02-X005-Y007\n\nq\n", capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert "lot BNC: 3 units, 3 insertions on 1 site" in r.stdout
    assert r.stderr.count("press Enter, or type its die id") == 4
    told = [line for line in r.stderr.splitlines() if "put it in hard bin" in line or "to be retested" in line]
    assert len(told) == 3
    assert "(BNC-W02-X005-Y007)" in told[1]
    y = load(out / "yield.json")
    assert y["provenance"]["handler"] == "manual handler, lot BNC, up to 5 units"
    dies = {(w["wafer"], x, yy) for w in y["wafers"] for x, yy, _ in w["dies"]}
    assert (2, 5, 7) in dies
    # The bench is one socket, and not resumed.
    r = seedval("lot", "--handler", "manual", "--units", 5, "--sites", 2, "--out", tmp_path / "two", expect=2)
    assert "--sites 1" in r.stderr
