"""The grader's shortcuts give what the long way gives (issue #16, item 6: the suite's time).

- harness_codec.encode/decode: a large array travels as the base64 of its bytes, read back exactly, and malformed bytes are
  refused like a malformed list;
- harness_run.stream's `enough`: a verification run stops once no call still to come can change a verdict (every one
  left belongs to an exercise that has failed), and counts as done;
- run.matplotlib_cache: the font cache is built once per grader process;
- scan_process: a process that never started a parser leaves the parser's cgroups alone when it exits;
- bytecode: the package's bytecode is written once, before any sandbox (which cannot write it), and a verification
  run gets that of its own modules (tests/test_grading_sandbox.py, test_package_subset), also in the copies a run
  without namespaces makes.
"""
import base64
import json
from pathlib import Path

import numpy as np
import pytest

from course_utils.grading import bytecode, harness_codec, harness_run, run, sandbox, scan_process, verify


@pytest.mark.parametrize("value", [
    np.random.default_rng(0).standard_normal((300, 40)), np.arange(5000, dtype=np.int32).reshape(50, 100),
    np.random.default_rng(1).random(3000) < 0.5, np.array([np.nan, -0.0, np.inf, -np.inf] * 400),
    np.arange(2000, dtype=np.uint16), np.zeros((1001, 0, 3)), np.ones((1001, 1)).T,
])
def test_a_large_array_travels_as_its_bytes_and_comes_back_exactly(value):
    encoded = harness_codec.encode(value)
    assert value.size <= harness_codec.BINARY_ITEMS or "b64" in encoded
    back = harness_codec.decode(json.loads(json.dumps(encoded)))
    kind = {"b": np.bool_, "i": np.int64, "u": np.int64, "f": np.float64}[value.dtype.kind]
    assert back.dtype == kind and back.shape == value.shape and back.flags.writeable
    np.testing.assert_array_equal(back, value.astype(kind))
    assert np.array_equal(np.signbit(back), np.signbit(value)) if value.dtype.kind == "f" else True
    small = harness_codec.encode(np.arange(harness_codec.BINARY_ITEMS, dtype=float))
    assert "data" in small and "b64" not in small  # small arrays stay readable lists


def _b64(raw):
    return base64.b64encode(raw).decode("ascii")


@pytest.mark.parametrize("data", [
    {"__array__": "float64", "shape": [2], "b64": _b64(b"\0" * 8)},  # one number's bytes for two
    {"__array__": "float64", "shape": [1], "b64": "!!!!!!!!!!!="},  # not base64
    {"__array__": "float64", "shape": [1], "b64": _b64(b"\0" * 8) + "\n"},
    {"__array__": "float64", "shape": [True], "b64": _b64(b"\0" * 8)},
    {"__array__": "float64", "shape": [-1], "b64": ""},
    {"__array__": "float64", "shape": 1, "b64": _b64(b"\0" * 8)},
    {"__array__": "float64", "shape": [1], "b64": 12},
    {"__array__": "object", "shape": [1], "b64": _b64(b"\0" * 8)},
    {"__array__": "bool", "shape": [harness_codec.MAX_ITEMS + 1], "b64": ""},
    {"__array__": "float64", "shape": [1], "b64": _b64(b"\0" * 8), "data": [0.0]},
])
def test_malformed_array_bytes_are_refused(data):
    with pytest.raises(harness_codec.EncodeError):
        harness_codec.decode(data)


def test_bool_bytes_other_than_0_and_1_read_as_plain_booleans():
    back = harness_codec.decode({"__array__": "bool", "shape": [3], "b64": _b64(bytes([0, 1, 7]))})
    assert back.dtype == np.bool_ and back.tolist() == [False, True, True]


def test_a_verification_run_ends_once_no_call_left_can_change_a_verdict(tmp_path, monkeypatch):
    """square fails its first call; its second call never ends. The run stops after the first (no result, no
    'done', no problem) and the verdict is the first call's; an exercise still to be called is not cut short."""
    tmp_path.chmod(0o755)

    def judge_square(value, _):
        return None if value == 9 else f"returned {value!r}, expected 9"

    square = verify.Spec("square", lambda rng: [verify.Case((3,), judge_square, "square(3)"),
                                                verify.Case((-1,), judge_square, "square(-1)")])
    cube = verify.Spec("cube", lambda rng: [verify.Case((2,), lambda v, _: None if v == 8 else "wrong", "cube(2)")])
    cells = [["square", "def square(x):\n    while x < 0:\n        pass\n    return x + 1\n\n"
                        "def cube(x):\n    return x ** 3\n", True]]  # True: plain Python (verify._as_python)
    runs = []
    plain_run = verify.run_harness

    def recorded(*args, **kwargs):
        runs.append(plain_run(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(verify, "run_harness", recorded)
    with sandbox.Lease() as lease:  # uids of this test alone, machine-wide
        options = {"uid": lease.uid, "sandboxed": sandbox.available()[0]}
        alone = verify._verify_group({"square": square}, cells, {}, ["__init__.py"], np.random.default_rng(0),
                                     tmp_path, timeout=60, given={}, **options)
        assert alone["square"] == verify.Verdict(False, "square(3) returned 4, expected 9")
        (events, problem), = runs
        assert problem == "" and not any(e.get("done") for e in events)
        assert [e["call"] for e in events if "call" in e] == [0]  # the endless second call was not waited for

        runs.clear()  # with an exercise after it, the run goes on to that exercise's calls
        both = verify._verify_group({"square": square, "cube": cube}, cells, {}, ["__init__.py"],
                                    np.random.default_rng(0), tmp_path, timeout=3, given={}, **options)
        assert both["square"] == alone["square"] and both["cube"] == verify.Verdict(True, "")
        assert "a call ran longer than 3 s" in runs[0][1] and len(runs) == 2  # then cube, in a run of its own


def test_the_font_cache_is_built_once_per_grader_process():
    first = run.matplotlib_cache()
    if first is None:
        pytest.skip("matplotlib's font cache cannot be built here")
    assert run.matplotlib_cache() == first and first.is_file()
    assert oct(first.stat().st_mode & 0o777) == "0o644" and oct(first.parent.stat().st_mode & 0o777) == "0o755"


def test_a_process_that_started_no_parser_leaves_the_parsers_cgroups_alone(monkeypatch):
    """Every nbval run and most command-line runs import the scan without scanning: at exit they used to wait up to
    2 s for the parser cgroups that another grader's parser was still in."""
    def refuse(uids):
        raise AssertionError(f"cgroups of {uids} removed")

    monkeypatch.setattr(sandbox, "remove_cgroups", refuse)
    scan_process._Parser().close()


def test_the_package_bytecode_is_written_where_missing_or_stale_and_named_module_by_module(tmp_path):
    import importlib.util
    import os

    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    for name in ("a.py", "b.py", "sub/c.py"):
        (package / name).write_text(f"VALUE = {name!r}\n")
    pyc = {name: Path(importlib.util.cache_from_source(str(package / name))) for name in ("a.py", "b.py", "sub/c.py")}
    assert not any(p.exists() for p in pyc.values())
    assert bytecode.ensure(package)
    assert all(p.is_file() for p in pyc.values())
    assert bytecode.cached(["b.py", "sub/c.py", "sub", "missing.py"], package) == [pyc["b.py"], pyc["sub/c.py"]]
    # stale bytecode is written again (Python would compile a module whose source is newer than its bytecode)
    os.utime(package / "a.py", (2_000_000_000, 2_000_000_000))
    bytecode.ensure.cache_clear()
    before = pyc["a.py"].read_bytes()
    assert bytecode.ensure(package) and pyc["a.py"].read_bytes() != before


def test_no_one_but_the_grader_may_replace_the_bytecode_whatever_its_umask(tmp_path, monkeypatch):
    """Under a umask of 0 the __pycache__ folders would be writable by all: a student process without namespaces
    could put its own bytecode there, which the next run (another student's) or the grader would load. ensure() leaves
    them 0755 and their files 0644, and cached() never hands out bytecode that others may replace."""
    import importlib.util
    import os
    import stat

    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("A = 1\n")
    (package / "b.py").write_text("B = 1\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")  # would make compileall write hash-based bytecode
    old = os.umask(0)
    try:
        assert bytecode.ensure(package)
    finally:
        os.umask(old)
    pyc = {n: Path(importlib.util.cache_from_source(str(package / n))) for n in ("a.py", "b.py")}
    assert stat.S_IMODE(pyc["a.py"].parent.stat().st_mode) == 0o755
    assert {stat.S_IMODE(p.stat().st_mode) for p in pyc.values()} == {0o644}
    assert all(p.read_bytes()[4:8] == b"\0\0\0\0" for p in pyc.values())  # timestamp bytecode (flags 0)
    assert bytecode.cached(["a.py", "b.py"], package) == [pyc["a.py"], pyc["b.py"]]
    os.chmod(pyc["b.py"], 0o666)
    assert bytecode.cached(["a.py", "b.py"], package) == [pyc["a.py"]]
    os.chmod(pyc["a.py"].parent, 0o777)
    assert bytecode.cached(["a.py", "b.py"], package) == []


def test_a_run_without_namespaces_gets_the_bytecode_of_its_module_copies(tmp_path):
    """The modules a run without namespaces copies keep their modification times, so their bytecode, copied beside
    them, is current for the copies: Python loads it instead of compiling them."""
    import os
    import shutil
    import subprocess
    import sys

    bytecode.ensure()
    modules = ["__init__.py", "_validate.py", "vectors.py"]
    package = tmp_path / "lib" / "course_utils"
    package.mkdir(parents=True)
    for name in modules:
        shutil.copy2(sandbox.PACKAGE / name, package / name)
    harness_run._copy_bytecode(bytecode.cached(modules), package)
    done = subprocess.run([sys.executable, "-v", "-c", "import course_utils.vectors as v; print(v.__file__)"],
                          capture_output=True, text=True, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(tmp_path / "lib")))
    assert done.stdout.strip() == str(package / "vectors.py"), done.stderr[-2000:]
    for name in modules:
        assert f"code object from '{package / '__pycache__' / name[:-3]}." in done.stderr, name
