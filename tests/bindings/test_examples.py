"""The examples in bindings/python/examples run as a user would run them, and the shmoo plot is a real
PNG image (signature, chunk CRCs, a decodable image of the size its header gives, more than one colour)."""

import struct
import subprocess
import sys
import zlib

from conftest import ROOT, python_env

EXAMPLES = ROOT / "bindings" / "python" / "examples"


def run(name, *args):
    r = subprocess.run([sys.executable, str(EXAMPLES / name), *args], env=python_env(), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, f"{name} failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout


def read_png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in chunk {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    assert depth == 8
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = 1 + width * channels
    assert len(raw) == height * stride, "the image data does not match the header's size"
    return width, height, channels, raw, stride


def unfilter(raw, stride, channels, height):
    """PNG scanline filters undone, to count the image's colours."""
    rows, prev = [], bytearray(stride - 1)
    for y in range(height):
        ftype, line = raw[y * stride], bytearray(raw[y * stride + 1:(y + 1) * stride])
        for i in range(len(line)):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return rows


def test_register_peek():
    out = run("register_peek.py")
    assert "CHIP_ID" in out and "0x5eedc41b" in out.lower() and "SCRATCH0" in out


def test_shmoo_plot_writes_a_png(tmp_path):
    png = tmp_path / "shmoo.png"
    out = run("shmoo_plot.py", "--out", str(png))
    assert str(png) in out
    width, height, channels, raw, stride = read_png(png)
    assert width >= 300 and height >= 200
    rows = unfilter(raw, stride, channels, height)
    colours = {row[i:i + 3] for row in rows[::7] for i in range(0, len(row) - channels + 1, channels * 7)}
    assert len(colours) >= 3, "the plot is blank"


def test_a_python_test_inside_a_program(tmp_path):
    out = run("python_test_in_program.py", "--out", str(tmp_path / "lot"))
    assert (tmp_path / "lot" / "yield.json").exists() and (tmp_path / "lot" / "units.jsonl").exists()
    records = [__import__("json").loads(line) for line in (tmp_path / "lot" / "units.jsonl").read_text().splitlines()]
    assert records and "single unit: PASS" in out
    for r in records:
        tests = [s["test"] for s in r["steps"]]
        assert tests == ["chip.identify", "example.scratch_walk"] or r["tester_error"] or not r["passed"]
