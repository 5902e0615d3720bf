"""The results store on PostgreSQL from the command line: `seedval lot --store postgresql://...` on a
throwaway server (pg_server.py) gives the same yield.json and bins.json as the same lot on SQLite, keeps
the program file with its bytes, refuses to start a lot id the server already holds, and replaces it
with --overwrite; a lot killed with SIGKILL continues with --resume, every unit recorded exactly once.
"""

import hashlib
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

from pg_server import PostgresServer

ROOT = pathlib.Path(os.environ.get("SEEDVAL_ROOT", pathlib.Path(__file__).resolve().parents[2]))
UNITS = 30


def seedval_bin():
    path = os.environ.get("SEEDVAL_BIN")
    if not path:
        pytest.fail("SEEDVAL_BIN is not set: run through CTest, or set it to the built seedval executable")
    return path


@pytest.fixture(scope="module")
def server():
    s = PostgresServer()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    # No contact failures, so two runs of the lot test the same dies to the same results.
    path = tmp_path_factory.mktemp("board") / "steady.json"
    path.write_text(json.dumps({"include": str(ROOT / "boards" / "seedchip-sim.json"), "contact_failure_rate": 0.0}))
    return path


def lot(board, out, *extra, lot_id="PG1", units=UNITS, check=True):
    done = subprocess.run([seedval_bin(), "lot", "--units", str(units), "--sites", "2", "--lot", lot_id, "--board",
                           str(board), "--out", str(out), "--quiet", *extra],
                          capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, f"seedval lot exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


# What legitimately differs between two runs of one lot: when it ran and how long each unit took, and
# which of the two sites took which unit, so in what order units finished (sites take units as they come
# free).
VARYING = {"start_time", "finish_time", "test_time", "test_time_s", "sites", "site", "per_site", "duration_s"}


def comparable(report):
    if isinstance(report, dict) and set(report) == {"columns", "rows"}:  # a table of units, in finish order
        keep = [i for i, c in enumerate(report["columns"]) if c not in VARYING]
        return {"columns": [report["columns"][i] for i in keep],
                "rows": sorted(([row[i] for i in keep] for row in report["rows"]), key=repr)}
    if isinstance(report, dict):
        return {k: comparable(v) for k, v in report.items() if k not in VARYING}
    if isinstance(report, list):
        return [comparable(v) for v in report]
    return report


def test_a_lot_on_postgresql_gives_the_reports_of_the_lot_on_sqlite(server, board, tmp_path):
    uri = server.create_database("same_reports")
    lot(board, tmp_path / "pg", "--store", uri)
    lot(board, tmp_path / "lite")
    assert not (tmp_path / "pg" / "results.db").exists(), "a --store lot wrote results.db as well"
    for name in ("yield.json", "bins.json"):
        pg = json.loads((tmp_path / "pg" / name).read_text())
        lite = json.loads((tmp_path / "lite" / name).read_text())
        assert comparable(pg) == comparable(lite), f"{name} differs between PostgreSQL and SQLite"
    # What was compared: counts, yields, bins and every measurement's statistics.
    pg = comparable(json.loads((tmp_path / "pg" / "yield.json").read_text()))
    assert pg["counts"]["units"] == UNITS
    assert len(pg["tests"]) > 50 and all("values" in t for t in pg["tests"])
    assert comparable(json.loads((tmp_path / "pg" / "bins.json").read_text()))["final"]["hard_bins"]
    # The figures really come from the server: it holds every insertion of the lot.
    (count,), = server.psql("same_reports", "SELECT COUNT(*) FROM insertions i JOIN lots l ON l.id = i.lot "
                                            "WHERE l.lot_id = 'PG1'")
    assert int(count) == json.loads((tmp_path / "pg" / "yield.json").read_text())["counts"]["insertions"]
    # The program file is kept with its bytes.
    program = ROOT / "fixtures" / "programs" / "seedchip-production.json"
    rows = server.psql("same_reports", "SELECT f.role, f.sha256, encode(f.content, 'hex') FROM lot_files f "
                                       "JOIN lots l ON l.id = f.lot WHERE l.lot_id = 'PG1'")
    assert len(rows) == 1
    role, sha, content = rows[0]
    assert role == "program"
    assert bytes.fromhex(content) == program.read_bytes()
    assert sha == hashlib.sha256(program.read_bytes()).hexdigest()


def test_a_lot_id_the_server_holds_is_refused_and_replaced_with_overwrite(server, board, tmp_path):
    uri = server.create_database("overwrite")
    lot(board, tmp_path / "first", "--store", uri, lot_id="OW1", units=6)
    again = lot(board, tmp_path / "second", "--store", uri, lot_id="OW1", units=6, check=False)
    assert again.returncode == 2, again.stderr
    assert "already holds lot OW1" in again.stderr
    assert "127.0.0.1" in again.stderr
    lot(board, tmp_path / "second", "--store", uri, "--overwrite", lot_id="OW1", units=6)
    rows = server.psql("overwrite", "SELECT l.lot_id, COUNT(i.id) FROM lots l LEFT JOIN insertions i "
                                    "ON i.lot = l.id GROUP BY l.lot_id")
    assert len(rows) == 1 and rows[0][0] == "OW1"
    assert int(rows[0][1]) == json.loads((tmp_path / "second" / "yield.json").read_text())["counts"]["insertions"]


def test_a_server_that_cannot_be_reached_is_a_tester_error_naming_it(board, tmp_path):
    gone = PostgresServer()
    uri, shown = gone.uri("nothing", password="hunter2"), gone.shown("nothing")
    gone.stop()
    done = lot(board, tmp_path / "gone", "--store", uri, units=2, check=False)
    assert done.returncode == 3, done.stderr
    assert f"{shown}: cannot connect to the results store" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout


def test_a_password_the_server_refuses_is_named_without_the_password(server, board, tmp_path):
    uri = server.create_database("denied").replace("seedval-test-pw", "not-the-pw")
    done = lot(board, tmp_path / "denied", "--store", uri, units=2, check=False)
    assert done.returncode == 3, done.stderr
    assert f"{server.shown('denied')}: cannot connect to the results store" in done.stderr
    assert "password authentication failed" in done.stderr
    assert "not-the-pw" not in done.stderr + done.stdout


def test_a_killed_lot_on_postgresql_resumes_with_every_unit_once(server, board, tmp_path):
    uri = server.create_database("resume")
    out = tmp_path / "killed"
    command = [seedval_bin(), "lot", "--units", str(UNITS), "--sites", "2", "--lot", "RS1", "--board", str(board),
               "--out", str(out), "--quiet", "--store", uri]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Kill it once some units are on the server.
    deadline = time.monotonic() + 120
    recorded = 0
    while time.monotonic() < deadline and proc.poll() is None:
        rows = server.psql("resume", "SELECT COUNT(*) FROM insertions", check=False)  # no table yet: None
        recorded = int(rows[0][0]) if rows else 0
        if recorded >= 5:
            break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert recorded >= 5, "the lot recorded nothing on the server"
    lot(board, out, "--store", uri, "--resume", lot_id="RS1")
    rows = server.psql("resume", "SELECT i.unit, i.insertion FROM insertions i JOIN lots l ON l.id = i.lot "
                                 "WHERE l.lot_id = 'RS1'")
    pairs = [(int(u), int(i)) for u, i in rows]
    assert len(pairs) == len(set(pairs)), "a unit was counted twice"
    assert sorted({u for u, _ in pairs}) == list(range(UNITS)), "a unit was lost"
    yield_ = json.loads((out / "yield.json").read_text())
    assert yield_["counts"]["units"] == UNITS
    assert yield_["counts"]["insertions"] == len(pairs)
