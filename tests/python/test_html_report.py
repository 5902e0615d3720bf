"""The lot's report.html and junit.xml, checked from outside the C++.

Runs `seedval lot` on a small simulated lot (two sites) and checks:
- report.html parses (html.parser, with the nesting checked here), fetches nothing (no scripts, links,
  images, frames, src/href attributes, url() or http(s) references) and holds one wafer map per wafer with
  one die per unit, the Pareto of failing hard bins in count order and the yields of yield.json;
- junit.xml parses (xml.etree), its counts add up, and it has one test class per unit, with the steps of
  the unit's final insertion (units.jsonl) as its cases, failing exactly for the units that did not pass;
- headless Chromium (Debian package chromium) renders report.html into a PNG screenshot that is a real
  picture: valid signature and size, many colours, the wafer map's bin colours among them. The screenshot
  is kept as build/report-screenshot.png (or in SEEDVAL_SCREENSHOT_DIR) for a person to look at. Without
  chromium this test fails: ./dev test installs it.
"""

import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from html.parser import HTMLParser

import pytest

from test_reports import ROOT, seedval_bin

from browser import chromium

UNITS = 40
SITES = 2
WIDTH, HEIGHT = 1280, 2000


@pytest.fixture(scope="module")
def lot(tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "lot"
    run = subprocess.run(
        [seedval_bin(), "lot", "--units", str(UNITS), "--sites", str(SITES), "--out", str(out), "--quiet",
         "--station", "pytest"],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    for name in ("report.html", "junit.xml"):
        assert str(out / name) in run.stdout, f"seedval lot does not list {name}:\n{run.stdout}"
    with open(out / "yield.json", encoding="utf-8") as f:
        yield_ = json.load(f)
    with open(out / "bins.json", encoding="utf-8") as f:
        bins = json.load(f)
    with open(out / "units.jsonl", encoding="utf-8") as f:
        records = [json.loads(line) for line in f if line.strip()]
    return out, yield_, bins, records


def final_records(records):
    """Each unit's final insertion, keyed by die, as the reports count units."""
    final = {}
    for r in records:
        if r.get("aborted"):
            continue
        d = r["die"]
        key = (d["lot"], d["wafer"], d["x"], d["y"])
        if key not in final or r["insertion"] >= final[key]["insertion"]:
            final[key] = r
    return final


# --- report.html ---------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
FORBIDDEN_TAGS = {"script", "link", "img", "iframe", "frame", "object", "embed", "base", "audio", "video",
                  "source", "image", "use", "foreignobject", "form"}
FORBIDDEN_ATTRS = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background"}


class Page(HTMLParser):
    """Reads the page strictly: every element closed in order, and what it refers to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.tags = Counter()
        self.refs = []
        self.style = ""
        self.wafers = []  # per wafer svg: its attributes and the number of die squares in it
        self.pareto_bins = []
        self.in_pareto = False
        self.in_wafer = False
        self.text = []

    def _attrs(self, tag, attrs):
        self.tags[tag] += 1
        if tag in FORBIDDEN_TAGS:
            self.refs.append(f"<{tag}>")
        for name, value in attrs:
            if name in FORBIDDEN_ATTRS or name.startswith("on"):
                self.refs.append(f"<{tag} {name}={value!r}>")
            if value and re.search(r"https?://|url\(", value):
                self.refs.append(f"<{tag} {name}={value!r}>")
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "svg" and "wafer" in classes:
            self.wafers.append({"attrs": a, "dies": 0})
        if tag == "svg" and "pareto" in classes:
            self.in_pareto = True
        if tag == "rect" and self.in_wafer:
            self.wafers[-1]["dies"] += 1
        if tag == "rect" and self.in_pareto and "data-bin" in a:
            self.pareto_bins.append(int(a["data-bin"]))

    def handle_starttag(self, tag, attrs):
        if tag == "svg":
            self.in_wafer = "wafer" in (dict(attrs).get("class") or "").split()
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._attrs(tag, attrs)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag == "svg":
            self.in_wafer = self.in_pareto = False

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "style":
            self.style += data
        self.text.append(data)


@pytest.fixture(scope="module")
def page(lot):
    out, *_ = lot
    text = (out / "report.html").read_text(encoding="utf-8")
    p = Page()
    p.feed(text)
    p.close()
    return text, p


def test_the_html_parses_and_every_element_is_closed(page):
    text, p = page
    assert text.startswith("<!DOCTYPE html>")
    assert p.errors == []
    assert p.stack == []
    assert p.tags["html"] == p.tags["head"] == p.tags["body"] == 1
    assert p.tags["svg"] >= 4  # Pareto, a wafer, sites, test time


def test_the_html_fetches_nothing(page):
    text, p = page
    assert p.refs == []
    assert "@import" not in p.style and "url(" not in p.style
    assert "http://" not in text and "https://" not in text


def test_one_wafer_map_per_wafer_with_one_die_per_unit(lot, page):
    _, yield_, _, records = lot
    _, p = page
    final = final_records(records)
    assert len(final) == yield_["counts"]["units"] == UNITS
    per_wafer = Counter(key[1] for key in final)
    assert [int(w["attrs"]["data-wafer"]) for w in p.wafers] == sorted(per_wafer)
    for w in p.wafers:
        wafer = int(w["attrs"]["data-wafer"])
        assert w["dies"] == int(w["attrs"]["data-dies"]) == per_wafer[wafer]


def test_the_pareto_and_figures_match_the_json_reports(lot, page):
    _, yield_, bins, _ = lot
    text, p = page
    fails = [b for b in bins["final"]["hard_bins"] if not b["pass"] and b["count"] > 0]
    expected = [b["number"] for b in sorted(fails, key=lambda b: -b["count"])]
    assert p.pareto_bins == expected
    body = "".join(p.text)
    for key in ("first_pass", "final", "retest_rate", "recovery_rate"):
        r = yield_["yield"][key]
        assert f"{r['numerator']} / {r['denominator']}" in body, key
    assert f"{100 * yield_['yield']['final']['value']:.1f}%" in body
    assert yield_["provenance"]["program"]["sha256"][:12] in body
    for t in yield_["tests"]:
        assert t["measurement"] in body


# --- junit.xml -----------------------------------------------------------------------------------------

def test_junit_parses_and_its_counts_add_up(lot):
    out, yield_, _, _ = lot
    root = ET.parse(out / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == f"lot {yield_['provenance']['lot']}"
    assert suite.get("hostname") == "pytest"
    cases = suite.findall("testcase")
    for element in (root, suite):
        assert int(element.get("tests")) == len(cases)
        assert int(element.get("failures")) == sum(c.find("failure") is not None for c in cases)
        assert int(element.get("errors")) == sum(c.find("error") is not None for c in cases)
        assert int(element.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
        assert abs(float(element.get("time")) - sum(float(c.get("time")) for c in cases)) < 0.001 * len(cases) + 0.01
    props = {e.get("name"): e.get("value") for e in suite.find("properties")}
    assert props["program"] == yield_["provenance"]["program"]["name"]
    assert props["sha256"] == yield_["provenance"]["program"]["sha256"]
    assert props["station"] == "pytest"
    assert len({c.get("classname") for c in cases}) == yield_["counts"]["units"]


def test_junit_has_the_steps_of_each_units_final_insertion(lot):
    out, yield_, _, records = lot
    lot_id = yield_["provenance"]["lot"]
    cases = ET.parse(out / "junit.xml").getroot().find("testsuite").findall("testcase")
    by_unit = {}
    for c in cases:
        by_unit.setdefault(c.get("classname"), []).append(c)
    final = final_records(records)
    passed = 0
    for r in final.values():
        unit_cases = by_unit[f"{lot_id}.{r['part_id']}"]
        names = [c.get("name") for c in unit_cases]
        assert names[: len(r["steps"])] == [s["id"] for s in r["steps"]]
        bad = [c for c in unit_cases if c.find("failure") is not None or c.find("error") is not None]
        if r["passed"]:
            passed += 1
            assert bad == [] and len(names) == len(r["steps"])
        else:
            assert bad, f"unit {r['part_id']} did not pass, yet no case fails"
        for c, s in zip(unit_cases, r["steps"]):
            kind = {"passed": None, "failed": "failure", "error": "error", "skipped": "skipped"}[s["outcome"]]
            if kind is None:
                assert len(c) == 0, (r["part_id"], s["id"])
            else:
                assert c.find(kind) is not None, (r["part_id"], s["id"], kind)
    assert passed == yield_["counts"]["passed_final"]


# --- the page in a browser -----------------------------------------------------------------------------

def png_pixels(data):
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    assert len(raw) == height * (stride + 1)
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, f"unknown PNG filter {kind}"
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def test_headless_chromium_renders_the_report(lot, page, tmp_path):
    out, _, bins, _ = lot
    text, _ = page
    browser = chromium()
    if browser is None:
        pytest.fail("chromium is not installed: install the Debian package chromium (./dev test installs it)")
    png = tmp_path / "report.png"
    run = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={png}", (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    keep = pathlib.Path(os.environ.get("SEEDVAL_SCREENSHOT_DIR", ROOT / "build"))
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, keep / "report-screenshot.png")

    width, height, bpp, rows = png_pixels(data)
    assert (width, height) == (WIDTH, HEIGHT)
    colours = set()
    for row in rows:
        colours.update(zip(row[0::bpp], row[1::bpp], row[2::bpp]))
    assert len(colours) > 50, f"only {len(colours)} colours: the page did not render"
    # The colour of every hard bin holding units (the wafer map's dies, the legend) is on the screen.
    style = {int(n): c for n, c in re.findall(r"\.hb(\d+)\{fill:#([0-9a-f]{6})", text)}
    held = [b["number"] for b in bins["final"]["hard_bins"] if b["count"] > 0]
    assert any(b["pass"] and b["count"] > 0 for b in bins["final"]["hard_bins"]), "no unit passed"
    for number in held:
        want = tuple(int(style[number][i:i + 2], 16) for i in (0, 2, 4))
        assert any(all(abs(c[i] - want[i]) <= 2 for i in range(3)) for c in colours), \
            f"hard bin {number}'s colour #{style[number]} is not in the screenshot"
