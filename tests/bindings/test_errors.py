"""The exception hierarchy mirrors the C++ error codes, with the built-in bases a Python caller expects,
and errors keep their code and message across the wire (a real timeout from a remote board)."""

import os
import subprocess
import sys
import time

import pytest

import seedval

from conftest import python_env

# code name -> (class, built-in base it also is)
EXPECTED = {
    "internal": (seedval.InternalError, None),
    "invalid argument": (seedval.InvalidArgumentError, ValueError),
    "config": (seedval.ConfigError, ValueError),
    "protocol": (seedval.ProtocolError, None),
    "checksum": (seedval.ProtocolError, None),
    "unsupported": (seedval.UnsupportedError, NotImplementedError),
    "address": (seedval.AddressError, LookupError),
    "read only": (seedval.AddressError, LookupError),
    "timeout": (seedval.TimeoutError, TimeoutError),
    "transport": (seedval.TransportError, ConnectionError),
    "busy": (seedval.TransportError, ConnectionError),
    "device": (seedval.DeviceError, None),
    "cancelled": (seedval.CancelledError, None),
    "not found": (seedval.NotFoundError, LookupError),
    "io": (seedval.IoError, OSError),
}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_every_code_has_its_class(code):
    cls, builtin = EXPECTED[code]
    assert seedval.error_class(code) is cls
    assert issubclass(cls, seedval.Error) and issubclass(cls, Exception)
    if builtin is not None:
        assert issubclass(cls, builtin)
    assert cls.__module__ == "seedval" and cls.__doc__


def test_errors_raised_from_python_have_their_code():
    e = seedval.NotFoundError("no such board")
    assert e.code == "not found" and e.message == "no such board"
    assert seedval.TimeoutError("late").code == "timeout" and seedval.Error("x").code == "internal"


def test_a_timeout_is_a_transport_error():
    assert issubclass(seedval.TimeoutError, seedval.TransportError)
    assert seedval.TimeoutError is not TimeoutError


def test_errors_carry_code_and_message():
    with pytest.raises(seedval.NotFoundError) as e:
        seedval.test_info("no.such.test")
    assert e.value.code == "not found"
    assert e.value.message == str(e.value) and "no.such.test" in e.value.message
    with pytest.raises(seedval.ConfigError) as e:
        seedval.parse_program('{"program": 3}', "inline.json")
    assert "inline.json" in str(e.value)


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    """A board served over ZeroMQ by `python3 -m seedval agent`."""
    endpoint_file = tmp_path_factory.mktemp("agent") / "endpoint"
    proc = subprocess.Popen(
        [sys.executable, "-m", "seedval", "agent", "--board", "seedchip-sim", "--bind", "tcp://127.0.0.1:*",
         "--endpoint-file", str(endpoint_file)],
        env=python_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not (endpoint_file.exists() and endpoint_file.read_text().strip()):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the agent did not start"
        time.sleep(0.05)
    yield "zmq+" + endpoint_file.read_text().strip()
    proc.terminate()
    proc.wait(timeout=30)


def test_remote_errors_arrive_typed(agent):
    with seedval.open_board(agent).connect() as d:
        assert d.identify()["model"] == "seedchip-sim"
        with pytest.raises(seedval.AddressError) as e:
            d.write_register("CHIP_ID", 0)
        assert e.value.code == "read only"
        # A deadline shorter than a 16 MiB transfer takes over the network: a timeout, typed.
        d.set_timeouts(base_s=0.001, per_mib_s=0, retries=0)
        with pytest.raises(seedval.TimeoutError) as t:
            d.read_memory(0, 16 << 20)
        assert t.value.code == "timeout" and isinstance(t.value, TimeoutError)


def test_a_board_that_is_not_there_is_a_transport_error():
    start = time.monotonic()
    with pytest.raises(seedval.TransportError) as e:
        seedval.open_board("zmq+tcp://127.0.0.1:9")  # nothing listens on the discard port
    assert "127.0.0.1:9" in str(e.value) and e.value.code == "transport"
    assert not isinstance(e.value, seedval.TimeoutError)
    assert time.monotonic() - start < 15
