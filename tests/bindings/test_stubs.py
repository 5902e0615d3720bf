"""The type stubs (_seedval.pyi) describe every public name of the compiled module, and every method and
property of its classes; every public function and class has a docstring."""

import ast
import inspect
import pathlib

import seedval
from seedval import _seedval


def stub_names():
    tree = ast.parse((pathlib.Path(seedval.__file__).parent / "_seedval.pyi").read_text())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            top.add(node.target.id)
        if isinstance(node, ast.ClassDef):
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
    return top, members


def public(names):
    return {n for n in names if not n.startswith("_") or n in ("__enter__", "__exit__", "__getitem__")}


def test_every_module_name_has_a_stub():
    top, _ = stub_names()
    missing = public(dir(_seedval)) - top - {"annotations"}
    assert not missing, f"not in _seedval.pyi: {sorted(missing)}"
    extra = {n for n in top if n not in dir(_seedval)} - {"RegisterName", "Buffer"}
    assert not extra, f"in _seedval.pyi but not in the module: {sorted(extra)}"


def test_every_class_member_has_a_stub():
    _, members = stub_names()
    for name, cls in inspect.getmembers(_seedval, inspect.isclass):
        if issubclass(cls, BaseException):
            continue
        have = public(n for n in vars(cls) if not n.startswith("_pybind11"))
        missing = have - members.get(name, set())
        assert not missing, f"{name}: not in _seedval.pyi: {sorted(missing)}"


def test_public_things_are_documented():
    for name in seedval.__all__:
        obj = getattr(seedval, name)
        assert obj.__doc__, f"seedval.{name} has no docstring"
    for name, fn in inspect.getmembers(_seedval.Device, callable):
        if not name.startswith("_"):
            assert fn.__doc__ and len(fn.__doc__.split("\n", 1)[0]) > 0, f"Device.{name}"
    assert all(name in dir(seedval) for name in seedval.__all__)
