"""course_utils' bytecode, compiled by the grader once so that no sandbox compiles the package again.

A sandboxed kernel or verification run cannot write bytecode (its package folder is read-only and
PYTHONDONTWRITEBYTECODE is set), so without a __pycache__ beside the modules -- an editable install run with
PYTHONDONTWRITEBYTECODE, or a package folder nobody has imported from with write access -- every kernel and every
verification run compiled the modules it imports: about 30 ms of each verification run's 80 ms of CPU. ensure()
writes the missing or stale bytecode into the package's __pycache__ folders, once per process, before the first
sandbox starts; where the grader may not write there, nothing changes (the runs compile, as before).

A verification run's package holds only the modules its spec allows, bound file by file: cached() names the bytecode
files of those modules (and of no other), which sandbox.command binds beside them.
"""
from __future__ import annotations

import compileall
import contextlib
import functools
import importlib.util
import os
import py_compile
import stat
import sys
from pathlib import Path

from course_utils.grading.sandbox_limits import PACKAGE


@functools.lru_cache(maxsize=None)
def ensure(package=PACKAGE):
    """Compile every module of `package` whose bytecode is missing or older than its source (compileall's test);
    True when everything compiled. Once per process and package folder.

    Timestamp bytecode, as Python writes it, even where SOURCE_DATE_EPOCH would make compileall write hash-based
    bytecode that it never finds current. Whatever the grader's umask, every __pycache__ folder ends 0755 and its
    files 0644: a bytecode file another user could replace would run in the next run, or in the grader."""
    done = compileall.compile_dir(str(package), quiet=2,
                                  invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    for folder in Path(package).rglob("__pycache__"):
        with contextlib.suppress(OSError):
            if not folder.is_symlink() and folder.is_dir():
                _tighten(folder, 0o755)
                for pyc in folder.iterdir():
                    if pyc.is_file() and not pyc.is_symlink():
                        _tighten(pyc, 0o644)
    return bool(done)


def _tighten(path, mode):
    if stat.S_IMODE(path.stat().st_mode) & 0o022:
        os.chmod(path, mode)


def cached(names, package=PACKAGE):
    """The bytecode files of the package modules `names` ("network.py", ...) that exist, in the package's own
    __pycache__ folders, and that no one but their owner may replace (none when a pycache prefix moves bytecode
    elsewhere; folders such as "checks" bring their own __pycache__ when bound whole)."""
    if sys.pycache_prefix:
        return []
    out = []
    for name in names:
        if name.endswith(".py"):
            pyc = Path(importlib.util.cache_from_source(str(package / name)))
            with contextlib.suppress(OSError):
                if pyc.is_file() and not pyc.is_symlink() and not any(
                        stat.S_IMODE(p.lstat().st_mode) & 0o022 for p in (pyc, pyc.parent)):
                    out.append(pyc)
    return out
