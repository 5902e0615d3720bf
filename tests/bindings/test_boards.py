"""Boards and devices: opening, identity, registers, memory through the buffer protocol, tensors,
operating point and sensors, and the session's life."""

import json

import numpy as np
import pytest

import seedval

MIB = 1 << 20


def test_open_board_by_name_and_by_file(tmp_path):
    b = seedval.open_board("seedchip-sim")
    assert b.name == "seedchip-sim"
    assert b.info["backend"] == "seedchip-sim" and b.info["transport"] == "inproc"
    assert b.has_die_socket
    # A descriptor file of one's own, including the built-in one and overriding a key.
    f = tmp_path / "mine.json"
    f.write_text(json.dumps({"include": b.info["file"], "memory_mib": 32}))
    with seedval.open_board(str(f)).connect() as d:
        assert d.identify()["memory_size"] == 32 * MIB


def test_bad_descriptors_name_what_and_where(tmp_path):
    with pytest.raises(seedval.NotFoundError, match="no-such-board"):
        seedval.open_board("no-such-board")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"include": str(seedval.open_board().info["file"]), "memory_mib": 3}))
    with pytest.raises(seedval.ConfigError) as e:
        seedval.open_board(str(bad))
    assert "bad.json" in str(e.value) and "memory_mib" in str(e.value)
    assert e.value.code == "config"
    with pytest.raises(seedval.ConfigError, match="unknown parameter"):
        seedval.open_board("zmq+tcp://127.0.0.1:9?nope=1")


def test_identify_names_the_die_in_the_socket():
    b = seedval.open_board()
    b.insert("PYT002-W03-X010-Y004")
    assert b.die == "PYT002-W03-X010-Y004"
    with b.connect() as d:
        ident = d.identify()
    assert ident["die"] == "PYT002-W03-X010-Y004"
    assert ident["revision"] == "A0"
    assert "mbist" in ident["capabilities"] and "tensor" in ident["capabilities"]
    with pytest.raises(seedval.InvalidArgumentError):
        b.insert("not a die")


def test_registers_by_name_and_address(dev):
    regs = {r["name"]: r for r in seedval.registers()}
    assert regs["SCRATCH0"]["address"] == 0x20 and regs["CHIP_ID"]["access"] == "ro"
    assert dev.read_register("CHIP_ID") == dev.read_register(regs["CHIP_ID"]["address"])
    dev.write_register("scratch0", 0xDEADBEEF)  # names in any case
    assert dev.read_register(0x20) == 0xDEADBEEF
    dev.write_register(0x24, 0x12345678)
    assert dev.read_registers(["SCRATCH0", 0x24, "CHIP_ID"]) == [0xDEADBEEF, 0x12345678, dev.read_register("CHIP_ID")]
    dev.write_registers([("SCRATCH0", 1), ("SCRATCH1", 2)])
    assert dev.read_registers(["SCRATCH0", "SCRATCH1"]) == [1, 2]
    status = dev.read_register("STATUS")
    fields = seedval.decode_register("STATUS", status)
    assert fields and all(isinstance(v, int) for v in fields.values())
    assert sum(v << next(f["lsb"] for f in regs["STATUS"]["fields"] if f["name"] == k)
               for k, v in fields.items()) == status & sum(((1 << f["width"]) - 1) << f["lsb"] for f in regs["STATUS"]["fields"])


def test_register_errors_are_typed(dev):
    with pytest.raises(seedval.AddressError) as e:
        dev.write_register("CHIP_ID", 1)
    assert e.value.code == "read only" and "CHIP_ID" in str(e.value)
    with pytest.raises(seedval.AddressError, match="0x0ffc|0xffc|0x00000ffc"):
        dev.read_register(0xFFC)
    with pytest.raises(seedval.NotFoundError, match="NO_SUCH_REG"):
        dev.read_register("NO_SUCH_REG")
    with pytest.raises(seedval.AddressError):
        dev.write_registers([("SCRATCH0", 7), ("CHIP_ID", 1), ("SCRATCH1", 9)])
    assert dev.read_register("SCRATCH0") == 7  # operations before the failing one took effect


def test_memory_round_trip_of_the_whole_memory(dev):
    size = dev.identify()["memory_size"]
    rng = np.random.default_rng(7)
    data = rng.integers(0, 2**63, size // 8, dtype=np.uint64)
    dev.write_memory(0, data)
    back = dev.read_array(0, size // 8, "uint64")
    assert back.dtype == np.uint64 and back.shape == (size // 8,)
    assert np.array_equal(back, data)
    # bytes, bytearray and memoryview slices go through the same buffer protocol
    raw = dev.read_memory(4 * MIB, 3 * MIB + 5)
    assert isinstance(raw, bytes) and raw == data.tobytes()[4 * MIB:7 * MIB + 5]
    buf = bytearray(2 * MIB)
    dev.read_memory_into(MIB, memoryview(buf)[MIB // 2:])
    assert buf[MIB // 2:] == data.tobytes()[MIB:MIB + 3 * MIB // 2] and buf[:MIB // 2] == bytes(MIB // 2)
    dev.write_memory(8, b"\x01\x02\x03")
    assert dev.read_memory(8, 3) == b"\x01\x02\x03"
    floats = np.linspace(-1, 1, 1000, dtype=np.float32)
    dev.write_memory(MIB, floats)
    assert np.array_equal(dev.read_array(MIB, 1000, np.float32), floats)


def test_memory_reads_fill_arrays_in_place(dev):
    dev.fill_memory(0, MIB, 0x0123456789ABCDEF)
    a = np.zeros(MIB // 8, dtype=np.uint64)
    address_before = a.__array_interface__["data"][0]
    dev.read_memory_into(0, a)
    assert a.__array_interface__["data"][0] == address_before
    assert (a == 0x0123456789ABCDEF).all()


def test_memory_buffers_that_cannot_work_are_refused(dev):
    with pytest.raises((BufferError, ValueError), match="contiguous"):
        dev.read_memory_into(0, np.zeros((64, 64), dtype=np.uint8)[:, ::2])  # not contiguous
    with pytest.raises((BufferError, TypeError)):
        dev.read_memory_into(0, b"read-only bytes")
    size = dev.identify()["memory_size"]
    with pytest.raises(seedval.AddressError) as e:
        dev.read_memory(size - 8, 16)
    assert e.value.code == "address"
    with pytest.raises(seedval.AddressError):
        dev.write_memory(size, b"x" * 8)


def test_sensors_and_operating_point(dev):
    s = dev.sensors()
    assert 0 < s["temperature_c"] < 150 and s["power_w"] > 0 and s["vdd_core_mv"] > 0
    after = dev.set_operating_point(800, 1000)
    assert after["frequency_mhz"] == 1000 and abs(after["vdd_core_mv"] - 800) < 40
    held = dev.hold(0.5, core_mask=0xF, utilisation=1.0)
    assert held["time_us"] >= s["time_us"] + 500_000
    assert held["power_w"] > s["power_w"]
    with pytest.raises(seedval.DeviceError):
        dev.set_operating_point(5000, 1000)


def test_tensor_operations_match_numpy(dev):
    caps = dev.tensor_capabilities()
    assert caps["cores"] >= 1 and "f32" in caps["dtypes"]
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.full((3, 4), 0.5, dtype=np.float32)
    (y,) = dev.run_node("Add", [a, b], [("f32", [3, 4])])
    assert y.dtype == np.float32 and np.array_equal(y, a + b)
    x = np.random.default_rng(1).standard_normal((4, 8)).astype(np.float32)
    w = np.random.default_rng(2).standard_normal((8, 3)).astype(np.float32)
    (g,) = dev.run_node("Gemm", [x, w], [("f32", [4, 3])], attributes={"alpha": 2.0})
    assert np.allclose(g, 2.0 * x @ w, rtol=1e-5, atol=1e-5)
    with pytest.raises(seedval.UnsupportedError, match="NoSuchOp"):
        dev.run_node("NoSuchOp", [a], [("f32", [3, 4])])
    with pytest.raises(seedval.InvalidArgumentError, match="complex128"):
        dev.run_node("Add", [a.astype(np.complex128), b], [("f32", [3, 4])])


def test_shmoo_grid_as_numpy(dev):
    s = dev.shmoo("650:850:100", "800:1800:500", probe_elements=4096, probe_runs=1)
    grid = s.grid()
    assert grid.shape == (len(s.frequencies_mhz), len(s.voltages_mv)) == (3, 3)
    assert int((grid == 1).sum()) == s.passes and s.passes > 0
    assert len(s.cells) == 9 and "<svg" in s.to_svg()
    as_dict = s.to_dict()
    assert as_dict["passes"] == s.passes and [c["result"] == "pass" for c in as_dict["cells"]] == [
        c["pass"] for c in s.cells]
    # the corner of low supply and high clock fails; high supply and low clock passes
    assert grid[0, -1] == 1 and grid[-1, 0] != 1
    assert dev.sensors()["frequency_mhz"] == 1200  # the operating point is restored


def test_a_closed_session_says_so():
    d = seedval.connect()
    with d:
        d.read_register("CHIP_ID")
    assert d.closed
    with pytest.raises(seedval.InvalidArgumentError, match="closed"):
        d.read_register("CHIP_ID")
    assert "closed" in repr(d)


def test_link_stats_count_requests(dev):
    before = dev.link_stats["requests"]
    for _ in range(10):
        dev.read_register("SCRATCH0")
    assert dev.link_stats["requests"] == before + 10 and dev.link_stats["retries"] == 0
    assert dev.ping(b"hello") == b"hello"


def test_a_large_memory_round_trip(tmp_path):
    """256 MiB through numpy both ways on a board with that much HBM, checked word for word."""
    f = tmp_path / "big.json"
    f.write_text(json.dumps({"include": seedval.open_board().info["file"], "memory_mib": 256}))
    with seedval.open_board(str(f)).connect() as d:
        size = d.identify()["memory_size"]
        assert size == 256 * MIB
        data = np.arange(size // 8, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        d.write_memory(0, data)
        back = d.read_array(0, size // 8, np.uint64)
        assert np.array_equal(back, data)
        assert d.read_memory(size - 8, 8) == data[-1].tobytes()


def test_numpy_is_needed_only_for_arrays():
    """Without numpy, seedval imports and moves bytes; only the array calls need it."""
    import subprocess
    import sys

    from conftest import python_env

    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import seedval\n"
        "with seedval.connect() as d:\n"
        "    d.write_memory(0, bytearray(b'abc' * 1000))\n"
        "    assert d.read_memory(0, 3000) == b'abc' * 1000\n"
        "    try:\n"
        "        d.read_array(0, 8)\n"
        "    except ImportError:\n"
        "        print('arrays need numpy')\n")
    r = subprocess.run([sys.executable, "-c", code], env=python_env(), capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "arrays need numpy"
