"""The Python bindings' tests: `seedval` imported from the build (SEEDVAL_PYTHON_PATH, set by CTest)."""

import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(os.environ.get("SEEDVAL_ROOT", pathlib.Path(__file__).resolve().parents[2]))
PYTHON_PATH = os.environ.get("SEEDVAL_PYTHON_PATH", str(ROOT / "build" / "release" / "python"))
sys.path.insert(0, PYTHON_PATH)
os.environ.setdefault("SEEDVAL_ROOT", str(ROOT))


def python_env():
    """The environment a child python3 needs to import seedval from the build."""
    env = dict(os.environ)
    env["PYTHONPATH"] = PYTHON_PATH + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@pytest.fixture
def dev():
    import seedval

    with seedval.connect("seedchip-sim", die="PYT001-W01-X008-Y008") as d:
        yield d
