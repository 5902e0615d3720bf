"""python3 -m seedval: the seedval command line (the same verbs, options and exit codes)."""

import signal
import sys

from . import _seedval


def main() -> int:
    # Ctrl-C as in the seedval command: the commands that stop cleanly (lot, agent) install their own
    # handler; the others end at once.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    return _seedval.cli(sys.argv[1:], "python3 -m seedval")


if __name__ == "__main__":
    sys.exit(main())
