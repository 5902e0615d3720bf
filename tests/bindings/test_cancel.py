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
