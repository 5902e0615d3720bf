#!/usr/bin/env python3
"""Shmoo the chip over a core supply x clock grid and plot the pass/fail map to a PNG.

    export PYTHONPATH=build/release/python SEEDVAL_ROOT=$PWD
    python3 bindings/python/examples/shmoo_plot.py --out shmoo.png

The defaults are a coarse grid and a small timing probe (a fraction of a second on the simulated board);
widen --voltage/--frequency and raise --probe-elements for a characterisation run.
Exits 0 when the plot is written and the grid has a passing point and no errors, 1 otherwise.
"""
import argparse
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")  # no display needed: render straight to a file
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

import seedval  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="seedchip-sim")
    ap.add_argument("--voltage", default="650:850:50", help="core supply lo:hi:step in mV")
    ap.add_argument("--frequency", default="900:1700:200", help="clock lo:hi:step in MHz")
    ap.add_argument("--probe-elements", type=int, default=4096, help="timing probe size per point")
    ap.add_argument("--probe-runs", type=int, default=1)
    ap.add_argument("--out", default="shmoo.png", help="PNG to write")
    args = ap.parse_args()

    with seedval.connect(args.board) as dev:
        # Runs the timing probe at every point; the operating point is restored afterwards.
        shmoo = dev.shmoo(voltage=args.voltage, frequency=args.frequency,
                          probe_elements=args.probe_elements, probe_runs=args.probe_runs)

    grid = shmoo.grid()  # int8, rows = clocks (lowest first), cols = supplies: 1 pass, 0 fail, -1 error
    volts, freqs = shmoo.voltages_mv, shmoo.frequencies_mhz

    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * len(volts), 1.0 + 0.5 * len(freqs)))
    # Map -1/0/1 to grey/red/green; origin="lower" puts the lowest clock at the bottom, as on a shmoo.
    cmap = ListedColormap(["#9e9e9e", "#d9534f", "#5cb85c"])
    ax.imshow(grid + 1, cmap=cmap, vmin=0, vmax=2, origin="lower", aspect="auto")
    ax.set_xticks(range(len(volts)), [f"{v:g}" for v in volts])
    ax.set_yticks(range(len(freqs)), [f"{f:g}" for f in freqs])
    ax.set_xlabel("VDD core (mV)")
    ax.set_ylabel("clock (MHz)")
    ax.set_title(f"SeedChip shmoo ({shmoo.test}): {shmoo.passes}/{grid.size} pass")
    for (row, col), cell in np.ndenumerate(grid):  # label each cell P / F / E
        ax.text(col, row, {1: "P", 0: "F", -1: "E"}[int(cell)], ha="center", va="center", color="white")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    plt.close(fig)

    print(shmoo.to_ascii())
    print(f"wrote {args.out}: {shmoo.passes} of {grid.size} points pass, {shmoo.errors} errors")
    return 0 if shmoo.passes > 0 and shmoo.errors == 0 else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except seedval.Error as e:
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
