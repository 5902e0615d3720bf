"""The lot's STDF file, read back by an independent reader (stdf_reader.py, standard library only).

Runs a 2-site lot with tester errors and retests, reads <lot>.stdf, checks the record order STDF V4
requires, recomputes the bin counts and the yields from the part records (PRR), and compares them with
the file's own summaries (HBR, SBR, PCR) and with bins.json and yield.json.
"""

import json
import os
import pathlib
import subprocess
from collections import Counter

import pytest

from stdf_reader import read_stdf

ROOT = pathlib.Path(os.environ.get("SEEDVAL_ROOT", pathlib.Path(__file__).resolve().parents[2]))
UNITS = 50


@pytest.fixture(scope="module")
def lot(tmp_path_factory):
    seedval = os.environ.get("SEEDVAL_BIN")
    if not seedval:
        pytest.fail("SEEDVAL_BIN is not set: run through CTest, or set it to the built seedval executable")
    tmp = tmp_path_factory.mktemp("stdf")
    board = tmp / "flaky.json"
    board.write_text(json.dumps({"include": str(ROOT / "boards" / "seedchip-sim.json"), "contact_failure_rate": 0.15}))
    out = tmp / "lot"
    cmd = [seedval, "lot", "--units", str(UNITS), "--sites", "2", "--lot", "STDF1", "--board", str(board),
           "--out", str(out), "--quiet"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    assert "STDF1.stdf" in done.stdout
    return {
        "records": read_stdf(out / "STDF1.stdf"),
        "yield": json.loads((out / "yield.json").read_text()),
        "bins": json.loads((out / "bins.json").read_text()),
        "units": [json.loads(line) for line in (out / "units.jsonl").read_text().splitlines() if line],
    }


def of(records, name):
    return [fields for n, fields in records if n == name]


def test_record_order_and_header(lot):
    names = [n for n, _ in lot["records"]]
    assert names[0] == "FAR" and names[1] == "MIR" and names[-1] == "MRR"
    assert Counter(names)["FAR"] == 1 and Counter(names)["MIR"] == 1 and Counter(names)["MRR"] == 1
    assert Counter(names)["PCR"] >= 1
    far = of(lot["records"], "FAR")[0]
    assert far == {"CPU_TYPE": 2, "STDF_VER": 4}
    mir = of(lot["records"], "MIR")[0]
    assert mir["LOT_ID"] == "STDF1"
    assert mir["JOB_NAM"] == lot["yield"]["provenance"]["program"]["name"]
    sdr = of(lot["records"], "SDR")[0]
    assert sdr["SITE_NUM"] == [1, 2]
    # Every part's records sit between its PIR and its PRR, on the same site.
    open_site = None
    for name, f in lot["records"]:
        if name == "PIR":
            assert open_site is None, "a PIR inside another part"
            open_site = f["SITE_NUM"]
        elif name in ("PTR", "FTR"):
            assert open_site == f["SITE_NUM"]
        elif name == "PRR":
            assert open_site == f["SITE_NUM"]
            open_site = None
    assert open_site is None


def test_parts_match_the_unit_log(lot):
    prrs = of(lot["records"], "PRR")
    assert len(prrs) == len(lot["units"])
    for prr, unit in zip(prrs, lot["units"]):
        assert prr["PART_ID"] == unit["part_id"]
        assert prr["HARD_BIN"] == unit["hard_bin"] and prr["SOFT_BIN"] == unit["soft_bin"]
        assert (prr["X_COORD"], prr["Y_COORD"]) == (unit["die"]["x"], unit["die"]["y"])
        assert prr["SITE_NUM"] == unit["site"] + 1
        assert bool(prr["PART_FLG"] & 0x08) == (not unit["passed"])
        assert bool(prr["PART_FLG"] & 0x01) == (unit["insertion"] > 1)


def test_bins_and_yields_recomputed_from_the_part_records(lot):
    prrs = of(lot["records"], "PRR")
    final = {}
    for prr in prrs:  # the last record of a part id supersedes the earlier ones
        final[prr["PART_ID"]] = prr
    units = len(final)
    assert units == UNITS
    hard = Counter(p["HARD_BIN"] for p in final.values())
    soft = Counter(p["SOFT_BIN"] for p in final.values())
    good = sum(1 for p in final.values() if not p["PART_FLG"] & 0x08)

    hbr = {h["HBIN_NUM"]: h for h in of(lot["records"], "HBR") if h["HEAD_NUM"] == 255}
    sbr = {s["SBIN_NUM"]: s for s in of(lot["records"], "SBR") if s["HEAD_NUM"] == 255}
    assert sum(h["HBIN_CNT"] for h in hbr.values()) == units
    assert sum(s["SBIN_CNT"] for s in sbr.values()) == units
    for number, count in hard.items():
        assert hbr[number]["HBIN_CNT"] == count, f"hard bin {number}"
    for number, count in soft.items():
        assert sbr[number]["SBIN_CNT"] == count, f"soft bin {number}"
    for b in lot["bins"]["final"]["hard_bins"]:
        assert hbr[b["number"]]["HBIN_CNT"] == b["count"]
        assert hbr[b["number"]]["HBIN_PF"] == ("P" if b["pass"] else "F")

    pcr = [p for p in of(lot["records"], "PCR") if p["HEAD_NUM"] == 255][0]
    assert pcr["PART_CNT"] == len(prrs)
    assert pcr["RTST_CNT"] == sum(1 for p in prrs if p["PART_FLG"] & 0x01)
    assert pcr["GOOD_CNT"] == good
    fy = lot["yield"]["yield"]["final"]
    assert (fy["numerator"], fy["denominator"]) == (good, units)
    first = {}
    for prr in prrs:
        first.setdefault(prr["PART_ID"], prr)
    fpy = lot["yield"]["yield"]["first_pass"]
    assert fpy["numerator"] == sum(1 for p in first.values() if not p["PART_FLG"] & 0x08)
    assert any(p["PART_FLG"] & 0x01 for p in prrs), "the flaky board should have caused retests"


def test_test_records_and_their_summaries(lot):
    ptrs = of(lot["records"], "PTR")
    ftrs = of(lot["records"], "FTR")
    assert ptrs and ftrs
    seen = set()
    for p in ptrs:  # the first PTR of a test number carries its limits and units
        if p["TEST_NUM"] not in seen:
            assert "OPT_FLAG" in p and "UNITS" in p, p
            seen.add(p["TEST_NUM"])
    tsr = {t["TEST_NUM"]: t for t in of(lot["records"], "TSR")}
    executed = Counter(p["TEST_NUM"] for p in ptrs)
    failed = Counter(p["TEST_NUM"] for p in ptrs if p["TEST_FLG"] & 0x80)
    for number, n in executed.items():
        assert tsr[number]["TEST_TYP"] == "P"
        assert tsr[number]["EXEC_CNT"] == n
        assert tsr[number]["FAIL_CNT"] == failed[number]
    for f in ftrs:
        assert f["TEST_NUM"] % 1000 == 0
        assert tsr[f["TEST_NUM"]]["TEST_TYP"] == "F"
    # PRR.NUM_TEST counts the test records of its part.
    count = 0
    for name, f in lot["records"]:
        if name in ("PTR", "FTR"):
            count += 1
        elif name == "PRR":
            assert f["NUM_TEST"] == count
            count = 0
