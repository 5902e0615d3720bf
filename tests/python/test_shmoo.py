"""`seedval shmoo`, checked from outside the C++: the grid JSON, the SVG read as XML, the ASCII plot on
the terminal, and the SVG rendered by headless Chromium (Debian package chromium) into a PNG screenshot,
which is kept as build/shmoo-screenshot.png (or in SEEDVAL_SCREENSHOT_DIR) for a person to look at.
"""

import json
import os
import pathlib
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from test_reports import ROOT, seedval_bin

from browser import chromium

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def shmoo(tmp_path_factory):
    out = tmp_path_factory.mktemp("shmoo")
    run = subprocess.run(
        [seedval_bin(), "shmoo", "--voltage", "600:900:50", "--frequency", "800:1800:100",
         "--probe-elements", "16384", "--probe-runs", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return out, run.stdout


def test_the_grid_shows_the_pass_fail_boundary_of_a_typical_die(shmoo):
    out, _ = shmoo
    grid = json.loads((out / "shmoo.json").read_text())
    volts = grid["voltage_mv"]["values"]
    clocks = grid["frequency_mhz"]["values"]
    assert len(grid["cells"]) == len(volts) * len(clocks) == 7 * 11
    result = {(c["voltage_mv"], c["frequency_mhz"]): c["result"] for c in grid["cells"]}
    # A typical die runs 800 MHz at every supply here, and nothing at 1800 MHz below 750 mV.
    assert all(result[(v, 800)] == "pass" for v in volts)
    assert all(result[(v, 1800)] == "fail" for v in volts if v <= 750)
    # The boundary moves up with the supply: at each supply the passing clocks are a run from the bottom,
    # and a higher supply passes at least the clocks a lower one does.
    top = []
    for v in volts:
        passing = [f for f in clocks if result[(v, f)] == "pass"]
        assert passing == clocks[: len(passing)], f"{v} mV: {passing}"
        top.append(len(passing))
    assert top == sorted(top) and top[0] < top[-1]
    assert grid["passes"] == sum(top)


def test_the_svg_is_well_formed_and_has_one_square_per_point(shmoo):
    out, _ = shmoo
    grid = json.loads((out / "shmoo.json").read_text())
    root = ET.parse(out / "shmoo.svg").getroot()
    assert root.tag == SVG + "svg"
    cells = [r for r in root.iter(SVG + "rect") if r.get("class") in ("pass", "fail", "error")]
    assert len(cells) == len(grid["cells"])
    assert sum(r.get("class") == "pass" for r in cells) == grid["passes"]
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "core supply (mV)" in texts and "clock (MHz)" in texts
    assert any(t and t.startswith("Shmoo:") for t in texts)


def test_the_ascii_plot_is_printed(shmoo):
    _, stdout = shmoo
    rows = [line for line in stdout.splitlines() if " MHz |" in line]
    assert len(rows) == 11
    assert rows[0].strip().startswith("1800 MHz")
    assert rows[-1].strip().startswith("800 MHz") and set(rows[-1].split("|")[1]) == {"*"}


def test_headless_chromium_renders_the_svg(shmoo):
    out, _ = shmoo
    browser = chromium()
    if browser is None:
        if os.environ.get("SEEDVAL_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is not installed (Debian package chromium; ./dev test installs it)")
        pytest.skip("chromium is not installed (Debian package chromium)")
    root = ET.parse(out / "shmoo.svg").getroot()
    width, height = int(root.get("width")), int(root.get("height"))
    png = out / "shmoo.png"
    run = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={width},{height}", f"--screenshot={png}", (out / "shmoo.svg").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    assert (w, h) == (width, height)
    keep = pathlib.Path(os.environ.get("SEEDVAL_SCREENSHOT_DIR", ROOT / "build"))
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, keep / "shmoo-screenshot.png")
