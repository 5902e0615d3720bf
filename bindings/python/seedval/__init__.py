"""seedval: validation, bring-up and production test for SeedChip, from Python.

Open a board, poke a register, run a test, a program or a lot, sweep the operating point, and write
new tests in Python that programs run beside the C++ ones::

    import seedval

    with seedval.connect("seedchip-sim") as dev:          # a board name, descriptor file or URI
        print(dev.identify()["revision"], hex(dev.read_register("CHIP_ID")))
        data = dev.read_array(0x0, 1 << 20, "uint64")      # a numpy array, filled in place
        step = dev.run_test("memory.march", {"algorithm": "March C-"})
        print(step.outcome, step.values())

    lot = seedval.run_lot(units=50, sites=2, out="out/PY1", progress=print)
    print(lot.final_yield, lot.arrays()["hard_bin"])

Every device call releases the GIL; long calls (memory, tests, programs, lots) stop cleanly on
Ctrl-C and raise KeyboardInterrupt once the work has wound down. Errors are seedval.Error subclasses
mirroring the C++ codes (seedval.TimeoutError, seedval.ConfigError, ...).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

import os as _os
import pathlib as _pathlib


def _find_data_root() -> None:
    """The C++ core finds boards/ and fixtures/ through SEEDVAL_ROOT, or beside its executable, which here
    is python3: point it at the checkout this package was built in."""
    if _os.environ.get("SEEDVAL_ROOT"):
        return
    for folder in _pathlib.Path(__file__).resolve().parents:
        if (folder / "boards").is_dir() and (folder / "fixtures" / "programs").is_dir():
            _os.environ["SEEDVAL_ROOT"] = str(folder)
            return


_find_data_root()

from . import _seedval  # noqa: E402
from ._seedval import (  # noqa: E402,F401  (re-exported)
    AddressError,
    Artifact,
    Board,
    CancelledError,
    ConfigError,
    Device,
    DeviceError,
    Error,
    InternalError,
    InvalidArgumentError,
    IoError,
    LotResult,
    Measurement,
    NotFoundError,
    Program,
    ProtocolError,
    Shmoo,
    StepResult,
    TestContext,
    TestFailed,
    TestInfo,
    TestSkipped,
    TimeoutError,
    TransportError,
    UnitResult,
    UnsupportedError,
    backends,
    cli,
    decode_register,
    error_class,
    load_program,
    open_board,
    parse_program,
    register_test,
    registers,
    run_lot,
    single_test_program,
    test_info,
    tests,
)

__version__ = _seedval.__version__

__all__ = [
    "AddressError", "Artifact", "Board", "CancelledError", "ConfigError", "Device", "DeviceError", "Error",
    "InternalError", "InvalidArgumentError", "IoError", "LotResult", "Measure", "Measurement", "NotFoundError",
    "Param", "Program", "ProtocolError", "Shmoo", "StepResult", "TestContext", "TestFailed", "TestInfo",
    "TestSkipped", "TimeoutError", "TransportError", "UnitResult", "UnsupportedError", "backends", "cli",
    "connect", "decode_register", "error_class", "load_program", "open_board", "parse_program",
    "program_from_dict", "register_test", "registers", "run_lot", "run_suite", "single_test_program", "test",
    "test_info", "tests",
]


def connect(board: str = "seedchip-sim", die: Optional[str] = None) -> Device:
    """Opens `board` (a descriptor name, file or URI) and a session with its device.

    On a simulated board, `die` ("LOT001-W01-X008-Y007") is put in the socket first. Use the session as
    a context manager: the link is closed at the end of the block.
    """
    b = open_board(board)
    if die is not None:
        b.insert(die)
    return b.connect()


_TYPES = {int: "integer", float: "number", bool: "boolean", str: "string"}


@dataclasses.dataclass(frozen=True)
class Param:
    """A typed parameter of a Python test: `type` is int, float, bool or str."""

    type: type
    default: Any
    description: str = ""
    min: Optional[float] = None
    max: Optional[float] = None
    choices: Optional[Sequence[str]] = None

    def spec(self, name: str) -> Dict[str, Any]:
        if self.type not in _TYPES:
            raise InvalidArgumentError(f"parameter {name}: type must be int, float, bool or str, not {self.type!r}")
        return {"name": name, "type": _TYPES[self.type], "default": self.default, "description": self.description,
                "min": self.min, "max": self.max, "choices": list(self.choices) if self.choices else None}


@dataclasses.dataclass(frozen=True)
class Measure:
    """A measurement a Python test declares: its unit ("count", "V", "Hz", "s", "degC", "%", "" ...)
    and default limits (None for an open side); a program's limits replace them."""

    unit: str = ""
    description: str = ""
    low: Optional[float] = None
    high: Optional[float] = None

    def spec(self, name: str) -> Dict[str, Any]:
        return {"name": name, "unit": self.unit, "description": self.description, "low": self.low,
                "high": self.high}


def test(name: str, *, description: str = "", params: Optional[Mapping[str, Param]] = None,
         measurements: Optional[Mapping[str, Measure]] = None, requires: Iterable[str] = (),
         replace: bool = True) -> Callable[[Callable[[TestContext], None]], Callable[[TestContext], None]]:
    """Registers the decorated function as the test `name`, which programs and runs use like any other::

        @seedval.test("bench.scratch_walk", description="walks a one through SCRATCH0",
                      params={"passes": seedval.Param(int, 4, "passes", min=1, max=100)},
                      measurements={"mismatches": seedval.Measure("count", high=0)})
        def scratch_walk(ctx):
            ...
            ctx.measure("mismatches", bad)

    The body gets a TestContext. ctx.fail(reason) and ctx.skip(reason) end it as failed or skipped; any
    other exception fails the step, with its Python traceback in the record (note and artifact
    "python_traceback"); a seedval.Error (a timeout, a board that vanished) is a tester error, as in a
    C++ test. `requires` names chip capabilities; the test is skipped without them. Defining a test
    again under the same name replaces it (programs loaded before keep the old body).
    """

    def register(body: Callable[[TestContext], None]) -> Callable[[TestContext], None]:
        register_test(name, body, description or (body.__doc__ or "").strip().split("\n")[0],
                      [p.spec(k) for k, p in (params or {}).items()],
                      [m.spec(k) for k, m in (measurements or {}).items()], list(requires), replace)
        return body

    return register


def program_from_dict(program: Mapping[str, Any], where: str = "<python>") -> Program:
    """Validates a program given as a dict (the JSON of fixtures/programs/*.json)."""
    import json

    return parse_program(json.dumps(program), where)


def run_suite(device: Device, suite: str, params: Optional[Mapping[str, Mapping[str, Any]]] = None,
              progress: Optional[Callable[[StepResult], Any]] = None, skip: Iterable[str] = ()) -> List[StepResult]:
    """Runs every registered test of a suite ("memory" runs memory.march, memory.ecc, ...) on `device`,
    in name order, each with its defaults overridden by ``params[test]``; returns their StepResults.

    `progress(step)` is called after each test. Tests in `skip` are left out. Ctrl-C stops the test
    running and raises KeyboardInterrupt.
    """
    prefix = suite.rstrip(".") + "."
    names = [n for n in tests() if n.startswith(prefix) and n not in set(skip)]
    if not names:
        raise NotFoundError(f"no test belongs to suite {suite!r} (suites: "
                            f"{', '.join(sorted({n.split('.')[0] for n in tests()}))})")
    unknown = set(params or {}) - set(names)
    if unknown:
        raise InvalidArgumentError(f"params name tests outside suite {suite!r}: {', '.join(sorted(unknown))}")
    results = []
    for name in names:
        step = device.run_test(name, dict((params or {}).get(name, {})))
        results.append(step)
        if progress is not None:
            progress(step)
    return results


Device.run_suite = run_suite  # type: ignore[attr-defined]
