"""Crash safety: a lot killed with SIGKILL at random moments, resumed each time, ends with every unit
recorded exactly once to its final result, the same results an uninterrupted lot gets.

Runs the built `seedval lot` (SEEDVAL_BIN) on a board with contact failures (so retests happen), kills
it several times with SIGKILL at seeded random moments, resumes it with --resume until it completes, and
checks the results store (read here with Python's sqlite3, not seedval), the journal and the reports.
"""

import json
import os
import pathlib
import random
import signal
import sqlite3
import subprocess
import time
from collections import defaultdict

import pytest

ROOT = pathlib.Path(os.environ.get("SEEDVAL_ROOT", pathlib.Path(__file__).resolve().parents[2]))
UNITS = 40
KILLS = 6


def seedval_bin():
    path = os.environ.get("SEEDVAL_BIN")
    if not path:
        pytest.fail("SEEDVAL_BIN is not set: run through CTest, or set it to the built seedval executable")
    return path


def lot_command(board, out, *extra):
    return [seedval_bin(), "lot", "--units", str(UNITS), "--sites", "2", "--lot", "CRASH", "--board", str(board),
            "--out", str(out), "--quiet", *extra]


def final_bins(db_path):
    """Per die: the hard bin of its last insertion; and every (unit, insertion) recorded."""
    db = sqlite3.connect(db_path)
    rows = db.execute("SELECT unit, insertion, hard_bin, wafer, x, y, passed FROM insertions "
                      "JOIN lots ON lots.id = insertions.lot WHERE lots.lot_id = 'CRASH'").fetchall()
    db.close()
    by_unit = defaultdict(list)
    for unit, insertion, hard_bin, wafer, x, y, passed in rows:
        by_unit[unit].append((insertion, hard_bin, (wafer, x, y), passed))
    return by_unit


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    path = tmp_path_factory.mktemp("board") / "flaky.json"
    path.write_text(json.dumps({"include": str(ROOT / "boards" / "seedchip-sim.json"), "contact_failure_rate": 0.2}))
    return path


def test_a_lot_killed_and_resumed_records_every_unit_exactly_once(board, tmp_path):
    reference = tmp_path / "reference"
    done = subprocess.run(lot_command(board, reference), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    want = {u: sorted(v)[-1] for u, v in final_bins(reference / "results.db").items()}
    assert len(want) == UNITS

    out = tmp_path / "crashed"
    rng = random.Random(2026)
    kills = 0
    args = ()
    while kills < KILLS:
        proc = subprocess.Popen(lot_command(board, out, *args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.2, 1.2))
        if proc.poll() is not None:
            break  # finished before the kill
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
        if (out / "results.db").exists():
            args = ("--resume",)
    # A kill in the middle of appending a journal line leaves it unfinished: resuming must not build on it.
    if (out / "units.jsonl").exists():
        with open(out / "units.jsonl", "a", encoding="utf-8") as f:
            f.write('{"unit": 0, "insertion": 1, "hard_b')
    # Resume until the lot completes (a lot killed before its store existed starts afresh).
    done = subprocess.run(lot_command(board, out, *args), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"resume exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    assert kills >= 3, "the lot finished before it could be killed often enough; raise UNITS"

    got = final_bins(out / "results.db")
    assert sorted(got) == list(range(UNITS)), "a unit was lost"
    for unit, insertions in got.items():
        numbers = sorted(i for i, *_ in insertions)
        assert numbers == list(range(1, len(numbers) + 1)), f"unit {unit}: insertions {numbers}"
    final = {u: sorted(v)[-1] for u, v in got.items()}
    assert final == want, "the resumed lot's final results differ from the uninterrupted lot's"

    # The reports count each unit once; the journal never holds a unit the store lacks.
    yield_ = json.loads((out / "yield.json").read_text())
    assert yield_["counts"]["units"] == UNITS
    assert yield_["counts"]["insertions"] == sum(len(v) for v in got.values())
    stored = {(u, i) for u, v in got.items() for i, *_ in v}
    journal = [json.loads(line) for line in (out / "units.jsonl").read_text().splitlines() if line.strip()]
    for r in journal:
        assert (r["unit"], r["insertion"]) in stored
    assert len({(r["unit"], r["insertion"]) for r in journal}) == len(journal), "the journal counts a unit twice"
