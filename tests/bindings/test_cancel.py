"""Ctrl-C cancels a running call cooperatively, and blocking calls release the GIL."""

import _thread
import os
import signal
import threading
import time

import pytest

import seedval


def interrupt_after(seconds, real_signal=False):
    def fire():
        time.sleep(seconds)
        if real_signal:
            os.kill(os.getpid(), signal.SIGINT)
        else:
            _thread.interrupt_main()

    t = threading.Thread(target=fire, daemon=True)
    t.start()
    return t


def test_ctrl_c_stops_a_lot_after_the_units_in_flight():
    seen = []
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        interrupt_after(1.0, real_signal=True)
        seedval.run_lot(units=2000, sites=2, progress=seen.append)
    elapsed = time.monotonic() - start
    assert elapsed < 10, f"the lot took {elapsed:.1f} s to stop"
    assert 0 < len(seen) < 2000


def test_ctrl_c_stops_a_long_test_and_the_device_stays_usable(dev):
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        interrupt_after(0.5)
        dev.run_test("memory.march", {"path": "host"})  # about 10 s when left alone
    assert time.monotonic() - start < 5
    dev.write_register("SCRATCH0", 42)
    assert dev.read_register("SCRATCH0") == 42


def test_ctrl_c_in_a_python_test_cancels_it(dev):
    @seedval.test("py.forever")
    def forever(ctx):
        while True:
            ctx.check_stop()
            ctx.device.read_register("SCRATCH0")

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        interrupt_after(0.5)
        dev.run_test("py.forever")
    assert time.monotonic() - start < 5


def test_the_gil_is_released_while_the_device_works(dev):
    ticks = 0
    stop = threading.Event()

    def count():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    try:
        before = ticks
        dev.run_test("memory.march", {"path": "host", "length": 1 << 20})
        during = ticks - before
    finally:
        stop.set()
        t.join()
    assert during > 20, f"the other thread ran only {during} times during the call"


def test_threads_sharing_a_session_take_turns(dev):
    """Several Python threads on one session: each call is whole (the session's lock), and closing it
    from one thread while the others run ends their calls cleanly."""
    errors, counts = [], [0, 0]

    def registers(slot, reg):
        try:
            for i in range(2000):
                dev.write_register(reg, i)
                if dev.read_register(reg) != i:
                    errors.append(f"{reg}: wrote {i}, read {dev.read_register(reg)}")
                counts[slot] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=registers, args=(0, "SCRATCH0")),
               threading.Thread(target=registers, args=(1, "SCRATCH1"))]
    for t in threads:
        t.start()
    data = bytes(range(256)) * 4096
    for _ in range(20):
        dev.write_memory(0, data)
        assert dev.read_memory(0, len(data)) == data
    for t in threads:
        t.join()
    assert not errors and counts == [2000, 2000]

    closer_errors = []

    def keep_reading():
        try:
            while True:
                dev.read_memory(0, 1 << 20)
        except seedval.InvalidArgumentError as e:
            closer_errors.append(str(e))

    t = threading.Thread(target=keep_reading)
    t.start()
    time.sleep(0.2)
    dev.close()
    t.join(timeout=10)
    assert not t.is_alive() and closer_errors and "closed" in closer_errors[0]


def test_the_cli_leaves_python_signal_handlers_as_they_were(tmp_path):
    before = signal.getsignal(signal.SIGINT)
    assert seedval.cli(["lot", "--units", "2", "--out", str(tmp_path / "L"), "--quiet"]) == 0
    assert signal.getsignal(signal.SIGINT) is before
    assert seedval.cli(["probe", "--board", "no-such-board"]) == 2
