#!/usr/bin/env python3
"""A test written in Python, run in a program beside a C++ test: on one device, then as a small lot.

    export PYTHONPATH=build/release/python SEEDVAL_ROOT=$PWD
    python3 bindings/python/examples/python_test_in_program.py
    ... python_test_in_program.py --units 30 --out out/PY1   # a bigger lot (one die has a stuck SCRATCH1
                                                             # bit and bins 4), reports written to out/PY1
Exits 0 when the single unit passes and no lot unit ends as a tester error, 1 otherwise.
"""
import argparse
import sys

import numpy as np

import seedval


@seedval.test("example.scratch_walk", description="walks a one and a zero through SCRATCH0/SCRATCH1",
              params={"passes": seedval.Param(int, 2, "times to repeat the walk", min=1, max=100)},
              measurements={"mismatching_bits": seedval.Measure("count", "bits read back wrong", high=0)})
def scratch_walk(ctx):
    dev, bad = ctx.device, 0
    for _ in range(ctx.params["passes"]):
        ctx.check_stop()  # honour Ctrl-C and the step's time limit
        for reg in ("SCRATCH0", "SCRATCH1"):
            for bit in range(32):
                for pattern in (1 << bit, ~(1 << bit) & 0xFFFFFFFF):  # walking one, then walking zero
                    dev.write_register(reg, pattern)
                    bad += bin(dev.read_register(reg) ^ pattern).count("1")  # bits that differ
    if bad:
        ctx.note(f"{bad} scratch bits read back wrong")
    ctx.measure("mismatching_bits", bad)  # above its limit (high=0) the step fails, and so does the unit


PROGRAM = {  # the format of fixtures/programs/*.json (docs/programs.md)
    "program": "python-example", "revision": "0.1", "product": "SeedChip A0", "stop_on_fail": True,
    "description": "identity (a C++ test) and a scratch-register walk (a Python test)",
    "hard_bins": [{"number": 1, "name": "pass", "pass": True},
                  {"number": 3, "name": "fail-identity", "pass": False},
                  {"number": 4, "name": "fail-registers", "pass": False},
                  {"number": 9, "name": "tester-error", "pass": False}],
    "soft_bins": [{"number": 1, "name": "pass", "hard_bin": 1},
                  {"number": 300, "name": "identity-mismatch", "hard_bin": 3},
                  {"number": 400, "name": "scratch-bits", "hard_bin": 4},
                  {"number": 900, "name": "tester-error", "hard_bin": 9}],
    "pass_bin": 1, "tester_error_bin": 900, "retest": {"hard_bins": [9], "max_insertions": 2},
    "flow": [{"id": "identify", "test": "chip.identify", "params": {"revision": "A0"}, "fail_bin": 300},
             {"id": "scratch", "test": "example.scratch_walk", "params": {"passes": 2}, "fail_bin": 400}],
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=6)
    ap.add_argument("--sites", type=int, default=2)
    ap.add_argument("--out", default=None, help="folder for the lot's reports (optional)")
    args = ap.parse_args()
    program = seedval.program_from_dict(PROGRAM)  # validated here, before any unit is touched

    with seedval.connect("seedchip-sim") as dev:  # one unit, on the bench
        unit = dev.run_program(program)
    print(f"single unit: {'PASS' if unit.passed else 'FAIL'} bin {unit.hard_bin}/{unit.soft_bin} "
          f"({unit.soft_bin_name}) in {unit.test_time_s * 1e3:.1f} ms")
    for step in unit.steps:
        print(f"  {step.id:<10} {step.outcome:<7} {step.values()}")

    def progress(u):  # called on this thread as each insertion is binned
        print(f"  unit {u.unit} site {u.site}: {u.die} -> bin {u.hard_bin} {u.soft_bin_name}")

    lot = seedval.run_lot(program=program, units=args.units, sites=args.sites, lot_id="PY1",
                          out=args.out, overwrite=True, progress=progress)
    bins = lot.arrays()["hard_bin"]  # one row per unit: its final insertion
    counts = {int(b): int(n) for b, n in zip(*np.unique(bins, return_counts=True))}
    print(f"lot {lot.lot_id}: final yield {lot.final_yield:.1%}, first pass {lot.first_pass_yield:.1%}, "
          f"units per hard bin {counts}")
    if args.out:
        print("reports:", ", ".join(lot.files))
    return 0 if unit.passed and 9 not in counts else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except seedval.Error as e:
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
