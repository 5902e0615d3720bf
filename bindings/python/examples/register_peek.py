#!/usr/bin/env python3
"""Open a board, identify the chip, read and decode a few registers, exercise SCRATCH0, print sensors.

    export PYTHONPATH=build/release/python SEEDVAL_ROOT=$PWD
    python3 bindings/python/examples/register_peek.py
    ... register_peek.py --board zmq+tcp://labpc:5555      # a board name, descriptor file or URI

Exits 0 when everything reads back as expected, 1 otherwise.
"""
import argparse
import sys

import seedval

# Registers with named bit fields are decoded field by field; the rest are printed as hex.
PEEK = ["CHIP_ID", "REVISION", "STATUS", "CONTROL", "HBM_GEOMETRY", "PLL_FREQ_MHZ", "VDD_CORE_MV"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="seedchip-sim", help="board name, descriptor file or URI")
    args = ap.parse_args()

    with seedval.connect(args.board) as dev:  # the link closes at the end of the block
        ident = dev.identify()
        print(f"board {args.board}: chip 0x{ident['chip_id']:08X} rev {ident['revision']} "
              f"die {ident['die']} memory {ident['memory_size'] >> 20} MiB")
        print("capabilities:", ", ".join(ident["capabilities"]))

        print("\nregisters:")
        for name in PEEK:
            value = dev.read_register(name)  # by name (any case) or by address
            fields = seedval.decode_register(name, value)  # {} for a register without fields
            decoded = " ".join(f"{k}={v}" for k, v in fields.items()) or f"({value})"
            print(f"  {name:<14} 0x{value:08X}  {decoded}")

        # SCRATCH0 is a plain read/write register: write a few patterns and read each back.
        ok = True
        saved = dev.read_register("SCRATCH0")
        for pattern in (0x00000000, 0xFFFFFFFF, 0xA5A5A5A5, 0x5A5A5A5A, 0x12345678):
            dev.write_register("SCRATCH0", pattern)
            got = dev.read_register("SCRATCH0")
            if got != pattern:
                print(f"  SCRATCH0 wrote 0x{pattern:08X} read 0x{got:08X}  MISMATCH")
                ok = False
        dev.write_register("SCRATCH0", saved)  # leave it as we found it
        print(f"\nSCRATCH0 write/read-back: {'ok' if ok else 'FAILED'}")

        print("\nsensors:")
        for name, value in dev.sensors().items():
            print(f"  {name:<18} {value}")

        status = seedval.decode_register("STATUS", dev.read_register("STATUS"))
        if not (status["READY"] and status["PLL_LOCKED"]):
            print("device not ready or PLL unlocked", file=sys.stderr)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except seedval.Error as e:  # no such board, link down, timeout...: every seedval error derives from it
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(2)
