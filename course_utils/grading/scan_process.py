"""The tripwire scan's parser process: a submitted cell is scanned (scan.py) in a child process, never in the grader's.

Reading a cell is itself work a submission controls (IPython's input transformer re-tokenises a cell
once per line of IPython syntax), so the grader never parses a submitted cell in its own process:
scan_untrusted() hands it to a parser process (serve(); sandboxed where bubblewrap works) with a time limit
and a memory limit, and the work of each step is bounded too (harness.transform_work: a cell with more
IPython syntax than MAX_TRANSFORM_WORK is flagged, not transformed; %time inside %time is scanned
MAX_NESTING deep -- see scan.py).

The parser also replies with the fingerprints of the cell's functions (copies.py); scan_untrusted() compares them,
in the grader's process, with those of the installed course_utils and flags a cell that looks like a paste of the
course's own code (a copy the verification sandbox cannot stop: it only hides the course's modules).
"""
from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

from course_utils.grading import copies
from course_utils.grading.harness import ipython_python
from course_utils.grading.scan import MAX_FLAGS, _parse, _scan_tree

PARSE_TIMEOUT = 10.0  #: seconds one cell may take to scan (the course's cells take milliseconds)
PARSE_MEMORY = 2 * 2 ** 30  #: bytes of address space of the parser process (unsandboxed; the sandbox has its own)
MAX_REPLY = 2 ** 20
PARSER_UID = 61997  #: the parser's sandbox uid (sandbox.FIRST_UID + 997: below the leased uids)


class _Parser:
    """A child process that scans cells (serve()), one JSON line per request, one per reply. Started on first use
    and again after a cell it could not scan in PARSE_TIMEOUT (it is killed then). Thread-safe."""

    def __init__(self):
        self.proc = None
        self.started = False  # this process started a parser (and its sandbox's cgroups) at least once
        self.lock = threading.Lock()

    def _start(self):
        from course_utils.grading import sandbox

        code = "from course_utils.grading.scan_process import serve; serve()"
        if sandbox.available()[0]:
            argv = sandbox.command([sys.executable, "-c", code], uid=PARSER_UID)
            env, limit = None, False
        else:
            argv = [sys.executable, "-c", code]
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "JPY"))}
            env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
            limit = True
        self.started = True
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, start_new_session=True)
        if limit:  # before its first request: it parses nothing of a submission until then
            _limit_memory(self.proc.pid)

    def close(self):
        """Stop the parser and remove its sandbox's cgroups (at exit). A process that never started a parser (an nbval
        run, a harness, most CLI runs of a test session) leaves the cgroups alone: another grader's parser may be
        in them, and waiting for it to end would only delay this process's exit."""
        with self.lock:
            self.stop()
        if not self.started:
            return
        from course_utils.grading import sandbox

        sandbox.remove_cgroups([PARSER_UID])

    def stop(self):
        if self.proc is not None:
            from course_utils.grading import sandbox

            sandbox.stop_group(self.proc)
            self.proc = None

    def ask(self, request, timeout):
        """The reply (a dict) to request, or None when the parser did not answer in time or broke down."""
        with self.lock:
            for _attempt in (1, 2):  # a parser that died since the last cell is started once more
                if self.proc is None:
                    self._start()
                try:
                    self.proc.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                    self.proc.stdin.flush()
                except (BrokenPipeError, OSError):
                    self.stop()
                    continue
                reply = _read_line(self.proc.stdout.fileno(), time.monotonic() + timeout, MAX_REPLY)
                if reply is None:
                    self.stop()
                    return None
                if reply == b"":
                    self.stop()
                    continue
                try:
                    answer = json.loads(reply)
                except ValueError:
                    self.stop()
                    return None
                return answer if isinstance(answer, dict) else None
            return None


def _limit_memory(pid):
    try:
        import resource

        resource.prlimit(pid, resource.RLIMIT_AS, (PARSE_MEMORY, PARSE_MEMORY))
    except (ImportError, AttributeError, OSError):  # not Linux: the time limit still holds
        pass


def _read_line(fd, deadline, limit):
    """One line from fd by the deadline: the bytes (b"" at the end of the stream), or None (too late or too long)."""
    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or len(data) > limit:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"" if not data else None
        data += chunk
    return data


_PARSER = _Parser()
atexit.register(_PARSER.close)


def scan_untrusted(text, module_aliases=None, timeout=PARSE_TIMEOUT, exercise=None):
    """scan_exercise_source(text, module_aliases) in the parser process: a submitted cell costs the grader's own
    process no parsing, and the parser at most `timeout` seconds and PARSE_MEMORY bytes for it. A cell it cannot scan
    in time is flagged for review. Falls back to scanning here only when no parser process can be started.

    The parser's reply also holds the fingerprints of the cell's functions: a cell made mostly of the course's own
    code gets copies.copy_flags()'s reason (exercise -- its name, for that reason)."""
    request = {"text": text, "aliases": dict(module_aliases or {})}
    try:
        answer = _PARSER.ask(request, timeout)
    except OSError:  # no process can be started here (a restricted host): the bounded scan in this process
        flags, functions = _scan_and_fingerprint(text, module_aliases)
        return flags + copies.copy_flags(functions, exercise)
    if answer is None or not isinstance(answer.get("flags"), list):
        return [(f"could not be scanned within {timeout:g} s (the grader's parser was stopped); a person must "
                 "review it")]
    flags = [str(f)[:500] for f in answer["flags"][:MAX_FLAGS + 1]]
    return flags + copies.copy_flags(answer.get("functions"), exercise)


def python_untrusted(text, timeout=PARSE_TIMEOUT):
    """harness.ipython_python(text) -- the cell with its IPython syntax turned into Python, as the kernel reads it --
    computed in the parser process (where IPython is loaded once for every cell), or None when the parser could not
    answer or IPython could not turn it (then the verification harness tries itself)."""
    try:
        answer = _PARSER.ask({"transform": text}, timeout)
    except OSError:
        return None
    python = answer.get("python") if answer else None
    return python if isinstance(python, str) else None


def _scan_and_fingerprint(text, module_aliases):
    """(scan_exercise_source's flags, copies.fingerprints of the cell's functions) of one cell, parsed once; no
    fingerprints for a cell that cannot be parsed or is too deep to fingerprint."""
    tree = _parse(text)
    if isinstance(tree, list):
        return tree, []
    try:
        functions = copies.fingerprints(tree)  # before the scan renames names in the tree
    except (ValueError, RecursionError, MemoryError):
        functions = []
    return _scan_tree(tree, module_aliases, 0), functions


def serve():
    """The parser process: for each request line {"text", "aliases"} one reply line {"flags": [...], "functions":
    [...]} (functions: copies.fingerprints of the cell's functions); for {"transform": text}, {"python": the cell
    as Python (harness.python_source)}."""
    out = sys.stdout
    for line in sys.stdin:
        functions = []
        try:
            request = json.loads(line)
            if "transform" in request:  # None where IPython could not: the harness then tries (and reports) itself
                try:
                    python = ipython_python(str(request["transform"]))
                except Exception:  # noqa: BLE001 -- IPython missing or confused, or too much work
                    python = None
                out.write(json.dumps({"python": python}) + "\n")
                out.flush()
                continue
            flags, functions = _scan_and_fingerprint(request["text"], request.get("aliases") or {})
        except (ValueError, KeyError, TypeError, RecursionError, MemoryError) as exc:
            flags = [f"could not be scanned ({type(exc).__name__})"]
        out.write(json.dumps({"flags": flags, "functions": functions}) + "\n")
        out.flush()
