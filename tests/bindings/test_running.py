"""Running a test, a program and a lot, with results as objects that convert to dicts, JSON and numpy
arrays, and progress delivered on the calling thread."""

import json
import threading

import numpy as np
import pytest

import seedval


def test_tests_are_listed_with_their_parameters():
    names = seedval.tests()
    assert "memory.march" in names and names == sorted(names)
    info = seedval.test_info("memory.march")
    params = {p["name"]: p for p in info.params}
    assert params["algorithm"]["type"] == "string" and params["path"]["default"] in ("mbist", "host")
    assert any(m["name"] == "failing_cells" for m in info.measurements)
    assert not info.python


def test_run_test_with_parameters_and_limits(dev):
    step = dev.run_test("memory.march", {"algorithm": "MATS+", "length": 65536})
    assert step.outcome == "passed" and step.passed and step.error_code is None
    assert step["bytes_tested"] == 65536 and step.values()["failing_cells"] == 0
    m = step.measurement("failing_cells")
    assert m.unit == "count" and m.passed and m.high == 0
    # a limit of the caller's makes the same run fail
    failed = dev.run_test("memory.march", {"algorithm": "MATS+", "length": 65536}, {"bytes_tested": (None, 1000)})
    assert failed.outcome == "failed" and not failed.measurement("bytes_tested").passed
    d = step.to_dict()
    assert d["outcome"] == "passed" and {x["name"] for x in d["measurements"]} >= {"failing_cells", "bytes_tested"}
    assert json.loads(step.to_json()) == d


def test_bad_parameters_are_refused_before_running(dev):
    with pytest.raises(seedval.InvalidArgumentError, match="nope"):
        dev.run_test("memory.march", {"nope": 1})
    with pytest.raises(seedval.InvalidArgumentError, match="length"):
        dev.run_test("memory.march", {"length": "long"})
    with pytest.raises(seedval.NotFoundError):
        dev.run_test("memory.nothing")


def test_a_failing_die_fails_with_its_artifacts():
    # A die with defects: look for one in the population whose ground truth has a memory defect.
    board = seedval.open_board()
    die = next(f"PYT003-W01-X{x:03d}-Y{y:03d}" for x in range(16) for y in range(16)
               if any(k["category"] == "memory" and "memory.march" in k["caught_by"]
                      for k in board.ground_truth(f"PYT003-W01-X{x:03d}-Y{y:03d}")))
    board.insert(die)
    with board.connect() as d:
        step = d.run_test("memory.march", {"algorithm": "March SS", "backgrounds": "word"})
    assert step.outcome == "failed" and step["failing_cells"] > 0
    bitmap = step.artifact("fail_bitmap")
    assert bitmap.media_type == "application/json" and bitmap.json()


def test_run_program_bins_the_unit(dev):
    unit = dev.run_program("seedchip-production", die="PYT001-W01-X008-Y008")
    assert unit.die == "PYT001-W01-X008-Y008" and unit.insertion == 1
    assert unit.hard_bin_name and unit.soft_bin_name
    program = seedval.load_program("seedchip-production")
    assert [s.id for s in unit.steps][:len(program.setup)] == [s["id"] for s in program.setup]
    d = unit.to_dict()
    assert d["hard_bin"] == unit.hard_bin and d["part_id"] == "1"
    assert json.loads(unit.to_json()) == d
    # the die given is checked against the ECID: another die is a tester error, never a pass
    wrong = dev.run_program("seedchip-production", die="PYT001-W01-X001-Y001")
    assert wrong.tester_error and not wrong.passed


def test_programs_load_and_validate(tmp_path):
    p = seedval.load_program()
    assert p.name == "seedchip-production" and p.flow and p.hard_bins and len(p.sha256) == 64
    one = seedval.single_test_program("chip.registers", {"passes": 2})
    assert one.flow[0]["params"]["passes"] == 2
    from test_python_tests import PROGRAM

    broken = dict(PROGRAM, flow=[{"id": "a", "test": "no.such", "fail_bin": 500}])
    with pytest.raises(seedval.ConfigError) as e:
        seedval.program_from_dict(broken, "broken.json")
    assert "broken.json" in str(e.value) and "no.such" in str(e.value)


def test_a_lot_with_progress_on_the_calling_thread(tmp_path):
    seen = []
    caller = threading.get_ident()

    def progress(unit):
        seen.append((threading.get_ident(), unit.part_id, unit.hard_bin))

    out = tmp_path / "PY1"
    lot = seedval.run_lot(units=12, sites=2, lot_id="PY1", out=str(out), progress=progress)
    assert len(seen) == len(lot.insertions) >= 12
    assert {t for t, _, _ in seen} == {caller}
    assert {p for _, p, _ in seen} == {u.part_id for u in lot.final}
    assert len(lot.final) == 12 and {s["site"] for s in lot.sites} == {0, 1}
    for name in ("yield.json", "bins.json", "PY1.stdf", "report.html", "junit.xml", "results.db", "units.jsonl"):
        assert str(out / name) in lot.files and (out / name).stat().st_size > 0
    written = json.loads((out / "yield.json").read_text())
    assert written["counts"]["units"] == lot.yield_report()["counts"]["units"] == 12
    assert written["yield"]["final"]["value"] == pytest.approx(lot.final_yield)
    arrays = lot.arrays()
    assert arrays["hard_bin"].dtype == np.int32 and len(arrays["hard_bin"]) == 12
    assert lot.final_yield == pytest.approx(arrays["passed"].mean())
    assert lot.first_pass_yield == pytest.approx(written["yield"]["first_pass"]["value"])
    assert len(lot.arrays(final_only=False)["unit"]) == len(lot.insertions)
    temps = lot.measurements("power_idle", "idle_power_w")
    assert temps.dtype == np.float64 and len(temps) == 12
    d = lot.to_dict()
    assert len(d["insertions"]) == len(lot.insertions)
    with pytest.raises(seedval.InvalidArgumentError, match="already holds a lot"):
        seedval.run_lot(units=2, lot_id="PY1", out=str(out))


def test_a_progress_callback_that_raises_stops_the_lot():
    calls = []

    def progress(unit):
        calls.append(unit)
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        seedval.run_lot(units=40, progress=progress)
    assert len(calls) == 1


def test_a_suite_runs_each_of_its_tests(dev):
    done = []
    steps = seedval.run_suite(dev, "chip", progress=done.append, params={"chip.registers": {"passes": 2}})
    assert [s.test for s in steps] == [n for n in seedval.tests() if n.startswith("chip.")]
    assert done == steps or [s.id for s in done] == [s.id for s in steps]
    assert all(s.outcome in ("passed", "failed", "skipped") for s in steps)
    assert dev.run_suite("memory", skip=["memory.retention", "memory.rowhammer"])[0].test == "memory.ecc"
    with pytest.raises(seedval.NotFoundError, match="suites: "):
        seedval.run_suite(dev, "nosuch")
    with pytest.raises(seedval.InvalidArgumentError, match="memory.march"):
        seedval.run_suite(dev, "chip", params={"memory.march": {}})


def test_a_progress_callback_may_make_long_calls_itself():
    """A callback runs while the lot still holds the worker thread: its own long call gets another."""
    with seedval.connect() as other:
        other.fill_memory(0, 1 << 20, 0x1122334455667788)
        sums = []
        lot = seedval.run_lot(units=4, progress=lambda u: sums.append(int(other.read_array(0, 1 << 17, "uint64")[0])))
    assert len(sums) == len(lot.insertions) and set(sums) == {0x1122334455667788}
