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
import functools
import importlib.util
import sys
from pathlib import Path

from course_utils.grading.sandbox_limits import PACKAGE


@functools.lru_cache(maxsize=None)
def ensure(package=PACKAGE):
    """Compile every module of `package` whose bytecode is missing or stale (timestamps, as Python checks them);
    True when everything compiled. Once per process and package folder."""
    return bool(compileall.compile_dir(str(package), quiet=2))


def cached(names, package=PACKAGE):
    """The bytecode files of the package modules `names` ("network.py", ...) that exist, in the
    package's own __pycache__ folders (none when a pycache prefix moves bytecode elsewhere; folders such as "checks"
    bring their own __pycache__ when bound whole)."""
    if sys.pycache_prefix:
        return []
    out = []
    for name in names:
        if name.endswith(".py"):
            pyc = Path(importlib.util.cache_from_source(str(package / name)))
            if pyc.is_file():
                out.append(pyc)
    return out
