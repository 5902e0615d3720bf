"""Tests written in Python: typed parameters, declared measurements, failures with their traceback,
and a Python test inside a program, inside a multi-site lot."""

import threading

import pytest

import seedval


@seedval.test("py.scratch_walk", description="walks a one through SCRATCH0",
              params={"passes": seedval.Param(int, 2, "times to walk", min=1, max=50),
                      "stuck_mask": seedval.Param(int, 0, "bits to pretend are stuck (for tests)")},
              measurements={"mismatches": seedval.Measure("count", "bits read back wrong", high=0),
                            "writes": seedval.Measure("count", "writes made")})
def scratch_walk(ctx):
    dev = ctx.device
    bad = writes = 0
    for _ in range(ctx.params["passes"]):
        for bit in range(32):
            dev.write_register("SCRATCH0", 1 << bit)
            writes += 1
            if dev.read_register("SCRATCH0") | ctx.params["stuck_mask"] != (1 << bit) | ctx.params["stuck_mask"]:
                bad += 1
            if (1 << bit) & ctx.params["stuck_mask"]:
                bad += 1
    ctx.note(f"{writes} writes")
    ctx.measure("mismatches", bad)
    ctx.measure("writes", writes)


def test_a_python_test_is_registered_with_its_spec():
    info = seedval.test_info("py.scratch_walk")
    assert info.python and info.description == "walks a one through SCRATCH0"
    assert [p["name"] for p in info.params] == ["passes", "stuck_mask"]
    assert info.params[0]["type"] == "integer" and info.params[0]["max"] == 50
    assert info.measurements[0] == {"name": "mismatches", "unit": "count", "description": "bits read back wrong",
                                    "low": None, "high": 0.0}
    assert "py.scratch_walk" in seedval.tests()


def test_a_python_test_passes_and_fails_on_its_limits(dev):
    ok = dev.run_test("py.scratch_walk", {"passes": 3})
    assert ok.outcome == "passed" and ok["writes"] == 96 and ok["mismatches"] == 0
    assert ok.notes == ["96 writes"]
    bad = dev.run_test("py.scratch_walk", {"stuck_mask": 0x10})
    assert bad.outcome == "failed" and bad["mismatches"] > 0
    with pytest.raises(seedval.InvalidArgumentError, match="passes"):
        dev.run_test("py.scratch_walk", {"passes": 0})


def test_an_exception_is_a_failed_step_with_the_traceback(dev):
    @seedval.test("py.broken", measurements={"x": seedval.Measure()})
    def broken(ctx):
        values = [1, 2]
        return values[5]

    step = dev.run_test("py.broken")
    assert step.outcome == "failed"
    assert step.message.startswith("Python IndexError: list index out of range")
    tb = step.artifact("python_traceback").text
    assert "Traceback (most recent call last)" in tb and "values[5]" in tb and "in broken" in tb
    assert any("IndexError" in n for n in step.notes)


def test_fail_skip_and_seedval_errors(dev):
    @seedval.test("py.says_no")
    def says_no(ctx):
        ctx.fail("the board smells of smoke")

    @seedval.test("py.not_here", requires=["tensor"])
    def not_here(ctx):
        ctx.skip("nothing to do on this die")

    @seedval.test("py.bad_register")
    def bad_register(ctx):
        ctx.device.write_register("CHIP_ID", 1)

    assert (dev.run_test("py.says_no").outcome, dev.run_test("py.says_no").message) == ("failed", "the board smells of smoke")
    assert dev.run_test("py.not_here").outcome == "skipped"
    err = dev.run_test("py.bad_register")
    # A seedval error in a Python test is the tester's, as in a C++ test: never a pass, never a fail.
    assert err.outcome == "error" and err.error_code == "read only" and "CHIP_ID" in err.message


def test_redefining_a_test_replaces_it_and_built_ins_are_protected(dev):
    @seedval.test("py.version")
    def v1(ctx):
        ctx.fail("one")

    @seedval.test("py.version")
    def v2(ctx):
        ctx.fail("two")

    assert dev.run_test("py.version").message == "two"
    with pytest.raises(seedval.InvalidArgumentError, match="registered already"):
        seedval.register_test("py.version", v1, replace=False)
    with pytest.raises(seedval.InvalidArgumentError, match="built-in"):
        seedval.test("memory.march")(v1)
    with pytest.raises(seedval.InvalidArgumentError, match="unit"):
        seedval.test("py.bad_unit", measurements={"x": seedval.Measure("furlongs")})(v1)
    with pytest.raises(seedval.InvalidArgumentError, match="type"):
        seedval.test("py.bad_type", params={"x": seedval.Param(list, [])})(v1)


def test_the_lent_device_is_only_for_the_test(dev):
    kept = []

    @seedval.test("py.keeps_device")
    def keeps(ctx):
        kept.append((ctx, ctx.device))

    assert dev.run_test("py.keeps_device").outcome == "passed"
    ctx, lent = kept[0]
    with pytest.raises(seedval.InvalidArgumentError, match="test that has ended"):
        lent.read_register("CHIP_ID")
    with pytest.raises(seedval.InvalidArgumentError, match="ended"):
        ctx.measure("x", 1)


PROGRAM = {
    "program": "py-mixed", "revision": "1", "product": "SeedChip A0",
    "description": "a C++ test and a Python test side by side",
    "stop_on_fail": False,
    "hard_bins": [{"number": 1, "name": "pass", "pass": True}, {"number": 5, "name": "scratch", "pass": False},
                  {"number": 6, "name": "registers", "pass": False},
                  {"number": 9, "name": "tester-error", "pass": False}],
    "soft_bins": [{"number": 1, "name": "pass", "hard_bin": 1}, {"number": 500, "name": "scratch", "hard_bin": 5},
                  {"number": 600, "name": "registers", "hard_bin": 6},
                  {"number": 900, "name": "tester-error", "hard_bin": 9}],
    "pass_bin": 1, "tester_error_bin": 900,
    "retest": {"hard_bins": [9], "max_insertions": 2},
    "flow": [
        {"id": "registers", "test": "chip.registers", "fail_bin": 600},
        {"id": "scratch", "test": "py.scratch_walk", "params": {"passes": 1}, "fail_bin": 500,
         "limits": {"mismatches": {"high": 0}}},
    ],
}


def test_a_python_test_inside_a_multi_site_lot(tmp_path):
    program = seedval.program_from_dict(PROGRAM)
    assert [s["test"] for s in program.flow] == ["chip.registers", "py.scratch_walk"]
    threads = set()
    lot = seedval.run_lot(program, units=10, sites=2, lot_id="PYMIX", out=str(tmp_path / "lot"),
                          progress=lambda u: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}
    assert len(lot.final) == 10
    for unit in lot.insertions:
        if unit.tester_error:
            continue
        step = unit.step("scratch")
        assert step.test == "py.scratch_walk" and step["writes"] == 32
        assert step.outcome == ("failed" if unit.hard_bin == 5 else "passed")
    assert sum(u.passed for u in lot.final) >= 5
    # the lot's journal holds the Python step like any other
    lines = (tmp_path / "lot" / "units.jsonl").read_text().splitlines()
    assert all('"py.scratch_walk"' in line for line in lines if '"tester_error":false' in line.replace(" ", ""))


def test_a_lot_of_a_program_made_in_python_has_its_reports_rebuilt_from_the_store(tmp_path):
    import json

    program = seedval.program_from_dict(PROGRAM)
    lot_dir, again = tmp_path / "lot", tmp_path / "again"
    seedval.run_lot(program, units=6, sites=1, lot_id="PYREB", out=str(lot_dir))
    # the store kept the program's JSON: `report` rebuilds the lot's reports from results.db alone
    assert seedval.cli(["report", str(lot_dir), "--out", str(again), "--quiet"]) == 0
    before = json.loads((lot_dir / "yield.json").read_text())
    after = json.loads((again / "yield.json").read_text())
    assert after["provenance"]["program"] == before["provenance"]["program"]
    assert after["provenance"]["program"]["name"] == "py-mixed"
    assert after["counts"] == before["counts"]
    assert json.loads((again / "bins.json").read_text()) == json.loads((lot_dir / "bins.json").read_text())
