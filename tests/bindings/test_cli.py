"""python3 -m seedval: the seedval command line's verbs, options and exit codes."""

import json
import subprocess
import sys

from conftest import python_env


def run(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "seedval", *args], env=python_env(), capture_output=True,
                          text=True, timeout=timeout)


def test_probe_as_json():
    r = run("probe", "--board", "seedchip-sim", "--json")
    assert r.returncode == 0, r.stderr
    probe = json.loads(r.stdout)
    assert probe["chip_id"] == "0x5eedc41b" and "mbist" in probe["capabilities"]


def test_main_verbs_are_there():
    r = run("--help")
    assert r.returncode == 0
    for verb in ("probe", "run", "lot", "list", "reg", "mem", "shmoo", "report", "audit"):
        assert verb in r.stdout
    assert "python3 -m seedval" in r.stdout
    r = run("reg", "read", "CHIP_ID")
    assert r.returncode == 0 and "0x5eedc41b" in r.stdout.lower()


def test_a_lot_and_its_exit_codes(tmp_path):
    r = run("lot", "--units", "6", "--out", str(tmp_path / "L"), "--quiet")
    assert r.returncode == 0, r.stderr
    assert "final yield" in r.stdout and (tmp_path / "L" / "yield.json").exists()
    bad = run("lot", "--units", "6")
    assert bad.returncode == 2 and "--out" in bad.stderr
    bad = run("probe", "--board", "no-such-board")
    assert bad.returncode == 2 and "no-such-board" in bad.stderr
