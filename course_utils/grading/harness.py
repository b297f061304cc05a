"""The verification harness: runs INSIDE a verification sandbox, as ``python harness.py REQUEST``.

It must stay importable without the rest of course_utils (only the standard library and numpy; IPython, when
installed, to read IPython syntax in a cell): the sandbox holds this file and its siblings harness_codec.py and
harness_providers.py, the request and the course_utils modules the exercise may use, nothing else.

Two processes, so that the student's code never reaches the channel the grader reads:

* the SUPERVISOR (``harness.py REQUEST``, this file's main) reads a per-run token and the calls from its stdin (the
  grader writes them there; they are in no file), makes itself non-dumpable (no other process of its uid may read
  its memory or open its descriptors through /proc), and starts the worker; in a bubblewrap sandbox it is the PID
  namespace's init (sandbox.command(as_pid_1=True)), which no process of the sandbox can kill or stop;
* the WORKER (``harness.py --worker REQUEST``) binds the namespace, runs every exercise cell (IPython syntax turned
  into Python first: by the grader's parser process, or here, python_source, when it could not), then makes one
  call per line the supervisor sends it, and writes one JSON line per event to the supervisor. The student's code
  runs here: it may write anything to that pipe.

The supervisor relays to the grader (its stdout), each line prefixed by the token, only what the protocol allows at
that moment -- a cell's error report while the cells run, then for call i exactly one line starting with
``{"call": i,`` after it has sent call i -- and drops everything else, stopping the run when the dropped bytes exceed
MAX_JUNK or a line exceeds MAX_LINE. So the start of every call (which starts the grader's clock for it), the order
of the events and the end of the run are the supervisor's; what a call returned is the worker's word (a line the
student's code forges in place of the harness's is as good as a value its function returns, no better).

REQUEST (JSON, see verify.py): {"namespace": {name: "module" | "module:attribute"}, "cells": [[exercise, source,
is_python], ...]} (is_python: the grader's parser process turned the cell into Python already; else python_source).
stdin: {"token": hex, "calls": [{"exercise", "function", "args", "kwargs", "overrides"}, ...]}. Events (one line
each, ``TOKEN JSON``): {"cell": exercise, "error": ...}, {"namespace": name, "error": ...}, {"start": i},
{"call": i, "ok": true, "value": ..., "stdout": ...} or {"call": i, "ok": false, "error": "Name: message"},
{"fault": why} (the supervisor stopped the run), {"done": true}.

Values travel as plain data only (harness_codec.py: encode/decode), and arguments may be PROVIDERS
(harness_providers.py) -- small callables built from data, which the controller also uses to compute the expected
values. Both files are copied into the sandbox beside this one.
"""
import contextlib
import importlib
import io
import json
import os
import signal
import subprocess
import sys

if __name__ == "__main__" and sys.argv[1:2] != ["--worker"]:
    np = None  # the supervisor only relays lines: it never needs numpy, whose import costs each run a tenth of a second
else:
    import numpy as np

    # the grader imports this file from the package; the sandbox runs it as a script beside copies of its siblings
    if __package__:
        from course_utils.grading.harness_codec import EncodeError, decode, encode
    else:
        from harness_codec import EncodeError, decode, encode

MAX_STDOUT = 4000
MAX_LINE = 96 * 2 ** 20  # bytes of one event line: a value of MAX_ITEMS numbers fits
MAX_EVENT = 64 * 2 ** 10  # bytes of a cell's or a namespace entry's error report
MAX_JUNK = 2 ** 20  # bytes of lines on the worker's pipe that are not the harness's own, before the run is stopped
MAX_TRANSFORM_WORK = 400_000  # characters IPython's input transformer may tokenise for one cell (see python_source)
TRANSFORM_LOOP_LIMIT = 500  # IPython's own limit on the token transforms of one cell


# ------------------------------------------------------------------------ arguments left as they were
def _snapshot(value):
    """A deep copy of the plain data in value (arrays copied), to tell later whether a call changed it."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return value


def _same(before, after):
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and np.array_equal(before, after,
                                                                                                   equal_nan=True)
    if isinstance(before, (list, tuple)):
        return type(after) is type(before) and len(after) == len(before) and all(map(_same, before, after))
    if isinstance(before, dict):
        return isinstance(after, dict) and after.keys() == before.keys() and all(_same(before[k], after[k])
                                                                                   for k in before)
    return True  # numbers, strings, callables: immutable here


# ------------------------------------------------------------------------------------------- main
class _Shell:
    """get_ipython() in the verification run: %time and %timeit run their code once; every other magic and
    shell command does nothing here (an exercise's function must not depend on them)."""

    def __init__(self, namespace):
        self.namespace = namespace

    def _run(self, magic, code):
        if magic not in ("time", "timeit"):
            return None
        if magic == "timeit":  # drop timeit's options (-n 10 -r 3 -q -o ...)
            words = code.split()
            while words and words[0].startswith("-"):
                takes_value = words[0] in ("-n", "-r", "-p")
                words = words[2:] if takes_value else words[1:]
            code = " ".join(words) if "\n" not in code else code
        exec(compile(code, f"<%{magic}>", "exec"), self.namespace)  # noqa: S102

    def run_line_magic(self, magic, line, *args, **kwargs):
        self._run(magic, line)

    def run_cell_magic(self, magic, line, cell):
        self._run(magic, cell)

    def system(self, *args, **kwargs):
        return None

    getoutput = system


def _error(exc):
    return f"{type(exc).__name__}: {str(exc)[:500]}"


# ------------------------------------------------------------------------------------ IPython syntax
def ipython_lines(text):
    """How many lines of text could hold IPython syntax (a magic %, a shell !, help ?, or a line starting with
    , ; / -- IPython's autocall escapes): an upper bound of the token transforms IPython makes."""
    return sum(1 for line in text.splitlines() if any(c in line for c in "%!?") or line.lstrip()[:1] in (",", ";", "/"))


def transform_work(text):
    """The characters IPython's TransformerManager would tokenise for text: it re-tokenises the whole cell once per
    transform (up to its loop limit), so 33,000 lines of `a?` cost hundreds of full tokenisations."""
    return (min(ipython_lines(text), TRANSFORM_LOOP_LIMIT) + 1) * (len(text) + 1)


def ipython_python(text):
    """text with IPython syntax (%magic, !shell, a?) turned into Python by IPython, as the notebook's kernel does;
    raises when IPython cannot (not installed, confused) or the work would exceed MAX_TRANSFORM_WORK."""
    if transform_work(text) > MAX_TRANSFORM_WORK:
        raise ValueError(f"more than {MAX_TRANSFORM_WORK} characters of IPython syntax to tokenise")
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(text)


def python_source(text):
    """ipython_python(text), or text itself when IPython cannot turn it (the caller decides what that means: the scan
    flags such a cell, a run reports its SyntaxError)."""
    try:
        return ipython_python(text)
    except Exception:  # noqa: BLE001 -- IPython missing or confused, or too much work
        return text


# ------------------------------------------------------------------------------------------ supervisor
def _not_dumpable():
    """prctl(PR_SET_DUMPABLE, 0) on Linux: /proc/<pid>/mem, /fd, /environ of this process become unreadable to
    every process without CAP_SYS_PTRACE -- the worker, which runs as the same uid, included."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


class _Fault(Exception):
    """The worker broke the protocol: the run stops with this message."""


def supervise(request_path):
    """The supervisor (see the module docstring). Returns the exit status."""
    _not_dumpable()
    # in the sandbox it is the PID namespace's init: the worker can send it only signals it handles -- none
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    order = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    sys.stdin.close()
    token, calls = order["token"].encode("ascii"), order["calls"]
    del order
    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    cell_names = {cell[0] for cell in request["cells"]}
    namespace_names = set(request["namespace"])
    del request
    out = sys.stdout.buffer

    def relay(line):
        out.write(token + b" " + line)
        out.flush()

    def emit(event):
        relay(json.dumps(event).encode("utf-8") + b"\n")

    worker = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", request_path],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, close_fds=True)
    junk = 0

    def next_line():
        """The worker's next line (None at its end); raises _Fault for a line over MAX_LINE."""
        line = worker.stdout.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE:
            raise _Fault(f"the exercise's code wrote a line of more than {MAX_LINE // 2 ** 20} MB to the harness's pipe")
        return line

    def drop(line):
        nonlocal junk
        junk += len(line)
        if junk > MAX_JUNK:
            raise _Fault(f"the exercise's code wrote more than {MAX_JUNK // 2 ** 20} MB to the harness's pipe that "
                         "were not its results; the run was stopped")

    def report(line, kind, names, seen):
        """Relay a worker's {kind: name, "error": str} report once per known name; False when it is not one."""
        if len(line) > MAX_EVENT:
            return False
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            return False
        if not (isinstance(event, dict) and set(event) == {kind, "error"} and event[kind] in names
                and event[kind] not in seen and isinstance(event["error"], str)):
            return False
        seen.add(event[kind])
        emit({kind: event[kind], "error": event["error"][:600]})
        return True

    try:
        seen_cells, seen_names = set(), set()
        while True:  # the namespace and the cells
            line = next_line()
            if line is None:
                return _finish(worker)
            if line.strip() == b'{"ready": true}':
                break
            if not (report(line, "cell", cell_names, seen_cells) or report(line, "namespace", namespace_names,
                                                                          seen_names)):
                drop(line)
        for i, call in enumerate(calls):
            emit({"start": i})
            try:
                worker.stdin.write(json.dumps(dict(call, index=i)).encode("utf-8") + b"\n")
                worker.stdin.flush()
            except (BrokenPipeError, OSError):
                return _finish(worker)
            prefix = b'{"call": %d, ' % i
            while True:
                line = next_line()
                if line is None:
                    return _finish(worker)
                if line.startswith(prefix) and line.endswith(b"}\n"):
                    relay(line)
                    break
                drop(line)
        emit({"done": True})
        worker.kill()
        worker.wait()
        return 0
    except _Fault as fault:
        worker.kill()
        worker.wait()
        emit({"fault": str(fault)})
        return 3


def _finish(worker):
    """The worker ended early: the supervisor ends with its exit status (a signal n as 128 + n)."""
    worker.kill()
    code = worker.wait()
    return code if code >= 0 else 128 - code


# ---------------------------------------------------------------------------------------------- worker


def worker(request_path):
    """The worker (see the module docstring): the student's code runs here."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the pipe to the supervisor
    orders = os.fdopen(os.dup(0), "rb")  # the calls, one line each, from the supervisor
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # the student's code printing to fd 1 cannot interleave with results

    def emit(event):
        out.write(json.dumps(event) + "\n")
        out.flush()

    with open(request_path, encoding="utf-8") as handle:
        request = json.load(handle)
    sys.setrecursionlimit(3000)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    namespace["get_ipython"] = lambda: _Shell(namespace)
    for name, target in request["namespace"].items():
        module, _, attribute = target.partition(":")
        try:
            value = importlib.import_module(module)
            namespace[name] = getattr(value, attribute) if attribute else value
        except Exception as exc:  # noqa: BLE001 -- reported, and the name stays undefined
            emit({"namespace": name, "error": _error(exc)})
    for exercise, source, is_python in request["cells"]:
        try:
            code = compile(source if is_python else python_source(source), f"<exercise cell {exercise}>", "exec")
            exec(code, namespace)  # noqa: S102 -- the point
        except BaseException as exc:  # noqa: BLE001 -- a cell's error is reported; the others still run
            emit({"cell": exercise, "error": _error(exc)})
    emit({"ready": True})
    missing = object()
    for order in orders:
        try:
            call = json.loads(order)
            i = int(call["index"])
        except (ValueError, KeyError, TypeError):
            break
        saved = {}
        buffer = io.StringIO()
        try:
            args, kwargs = decode(call["args"]), decode(call["kwargs"])
            function = namespace.get(call["function"], missing)
            if function is missing:
                raise NameError(f"name {call['function']!r} is not defined")
            for name, provided in call["overrides"].items():
                saved[name] = namespace.get(name, missing)
                namespace[name] = decode(provided)
            before = _snapshot((args, kwargs))
            with contextlib.redirect_stdout(buffer):
                value = function(*args, **kwargs)
            if not _same(before, (args, kwargs)):  # an exercise must leave its inputs as they were
                raise ValueError("it changed one of its arguments in place; work on copies (np.copy) instead")
            emit({"call": i, "ok": True, "value": encode(value), "stdout": buffer.getvalue()[:MAX_STDOUT]})
        except EncodeError as exc:
            emit({"call": i, "ok": False, "error": f"returned {exc}, which is not a number, array, list, tuple "
                                                    "or dict of those"})
        except BaseException as exc:  # noqa: BLE001 -- the student's error is the result of this call
            emit({"call": i, "ok": False, "error": _error(exc), "stdout": buffer.getvalue()[:MAX_STDOUT]})
        finally:
            for name, value in saved.items():
                if value is missing:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker(argv[1])
        return 0
    return supervise(argv[0])


if __name__ == "__main__":
    sys.exit(main())
