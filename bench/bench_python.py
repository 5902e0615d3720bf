#!/usr/bin/env python3
"""bench_python: what the Python bindings cost beside C++, on the in-process simulated board.

    PYTHONPATH=build/release/python SEEDVAL_ROOT=$PWD \\
        /usr/bin/python3 bench/bench_python.py --baseline build/release/bench/bench_python_baseline

Times one register read (read_register("SCRATCH0"), and by address) and a read of the whole 16 MiB
device memory into a numpy array (read_memory_into a preallocated array; read_array, which allocates
one each call), against the same operations from C++ (bench_python_baseline, run here with the same
counts, before and after the Python side), and prints a table of best and median figures with the
Python / C++ ratio of the best times.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

import seedval


def per_op(f, ops, reps):
    """(best, median) over `reps` timings of `ops` calls of f, in seconds per call."""
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(ops):
            f()
        samples.append((time.perf_counter() - t0) / ops)
    return min(samples), statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", required=True, help="the bench_python_baseline program")
    ap.add_argument("--register-reads", type=int, default=20000)
    ap.add_argument("--memory-reads", type=int, default=5)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON line too")
    args = ap.parse_args()

    def baseline():
        out = subprocess.run([args.baseline, str(args.register_reads), str(args.memory_reads), str(args.reps)],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    cpp = baseline()  # run again after the Python side; the better of the two runs is kept (a busy machine)
    size = cpp["memory_bytes"]

    py = {}
    with seedval.connect("seedchip-sim") as dev:
        n, m, reps = args.register_reads, args.memory_reads, args.reps
        py["register_read_name_s"] = per_op(lambda: dev.read_register("SCRATCH0"), n, reps)
        addr = next(r["address"] for r in seedval.registers() if r["name"] == "SCRATCH0")  # 0x20
        py["register_read_addr_s"] = per_op(lambda: dev.read_register(addr), n, reps)
        buf = np.empty(size, dtype=np.uint8)
        dev.read_memory_into(0, buf)  # touch the pages once, as the C++ side does
        py["memory_read_s"] = per_op(lambda: dev.read_memory_into(0, buf), m, reps)
        py["memory_read_array_s"] = per_op(lambda: dev.read_array(0, size // 8, "uint64"), m, reps)

    again = baseline()
    for k in ("register_read_name_s", "register_read_addr_s", "memory_read_s"):
        cpp[k] = min(cpp[k], again[k])  # [best, median]: the run with the better best

    rows = [  # label, Python key, C++ key, unit
        ('read_register("SCRATCH0")', "register_read_name_s", "register_read_name_s", "us"),
        ("read_register(0x20)", "register_read_addr_s", "register_read_addr_s", "us"),
        ("read_memory_into(numpy), 16 MiB", "memory_read_s", "memory_read_s", "GiB/s"),
        ("read_array(uint64), 16 MiB", "memory_read_array_s", "memory_read_s", "GiB/s"),
    ]
    gib = size / (1 << 30)
    fmt = "{:<34} {:>6}  {:>16}  {:>16}  {:>7}"
    print(f"Python bindings against C++ (seedchip-sim, in-process; best of {args.reps}, median in brackets)")
    print(fmt.format("operation", "unit", "C++", "Python", "Py/C++"))
    for label, pk, ck, unit in rows:
        (pb, pm), (cb, cm) = py[pk], cpp[ck]
        if unit == "us":
            c, p = f"{cb * 1e6:.3f} ({cm * 1e6:.3f})", f"{pb * 1e6:.3f} ({pm * 1e6:.3f})"
        else:
            c, p = f"{gib / cb:.2f} ({gib / cm:.2f})", f"{gib / pb:.2f} ({gib / pm:.2f})"
        print(fmt.format(label, unit, c, p, f"{pb / cb:.2f}x"))  # ratio of times: > 1 is Python slower
    print("Py/C++ is Python's time over C++'s for the same work (best figures); C++ reads into a std::vector.")
    if args.json:
        print(json.dumps({"cpp": cpp, "python": py}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
