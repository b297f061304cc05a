"""Everything the grader knows about nbval (0.11), in one module: the pytest plugin loaded with
``-p course_utils.grading.nbval_plugin``, the two patches it applies, and the message strings nbval
uses. A new nbval version is this one file to read.

The plugin, when given ``--grader-results FILE``:
- records per notebook cell and phase whether it passed, the error name/value, the output difference,
  timeouts and whether the kernel is alive, and writes them to FILE as JSON rows;
- patches ``RunningKernel.await_reply`` so a dead kernel is noticed at once instead of after the timeout;
- with ``--grader-sandbox SPEC`` (JSON: uid, support folder, socket folder), patches
  ``nbval.kernel.start_new_kernel`` so every kernel starts inside its own sandbox (sandbox.command),
  talking to nbval over IPC socket files in a folder of its own; nbval itself stays outside.
"""
from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import tempfile
import time
from pathlib import Path

OUTPUTS_DIFFER = "Cell outputs differ"
BUDGET = "not run: the grading time budget ran out"  # the skip reason of cells the deadline left out
_DEADLINE = None  # time.monotonic() by which the run must end (--grader-deadline), or None
DEAD_AT_START = "Kernel dead on test start"
TIMEOUT_PREFIX = "Timeout of"


OUTPUT_LIMIT = 16 * 2 ** 20  # characters of output one cell may send; a flood would fill the grader's memory


class KernelDied(RuntimeError):
    """Raised in the nbval run when the kernel process is gone while nbval waits for a cell's reply."""


class OutputLimitExceeded(RuntimeError):
    """Raised (and the kernel stopped) when one cell's output passes OUTPUT_LIMIT characters."""


def _output_size(msg):
    content = msg.get("content") or {}
    if msg.get("msg_type") == "stream":
        return len(content.get("text") or "")
    data = content.get("data") or {}
    size = sum(len(v) for v in data.values() if isinstance(v, str)) if isinstance(data, dict) else 0
    return size + len(str(content.get("evalue") or "")) + sum(len(t) for t in content.get("traceback") or [])


def _patch_await_reply():
    """Patch nbval's RunningKernel: notice a dead kernel at once, and bound what one cell may print.

    nbval waits for a cell's reply on the shell channel before it reads the cell's output; meanwhile a
    cell that prints without end would pile up gigabytes in the grader's process. So while waiting, the
    output is read too (kept for nbval, in order), counted per cell, and the kernel is stopped when a
    cell passes OUTPUT_LIMIT.
    """
    from collections import deque
    from queue import Empty

    from nbval.kernel import RunningKernel

    if getattr(RunningKernel.await_reply, "_grader", False):
        return
    plain_get_message = RunningKernel.get_message

    def counted(self, msg):
        parent = (msg.get("parent_header") or {}).get("msg_id")
        sizes = self.__dict__.setdefault("_grader_output", {})
        sizes[parent] = sizes.get(parent, 0) + _output_size(msg)
        if sizes[parent] > OUTPUT_LIMIT:
            self.__dict__.get("_grader_pending", deque()).clear()
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 -- stopping it is all that matters
                pass
            raise OutputLimitExceeded(f"the cell printed more than {OUTPUT_LIMIT // 2 ** 20} MB of output")
        return msg

    def drain(self):
        pending = self.__dict__.setdefault("_grader_pending", deque())
        while True:
            try:
                pending.append(counted(self, plain_get_message(self, "iopub", timeout=0)))
            except Empty:
                return

    def get_message(self, stream, timeout=None):
        pending = self.__dict__.get("_grader_pending")
        if stream == "iopub" and pending:
            return pending.popleft()
        msg = plain_get_message(self, stream, timeout)
        return counted(self, msg) if stream == "iopub" else msg

    def await_reply(self, msg_id, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        if _DEADLINE is not None:  # the grading time budget cuts a cell like its own time limit
            deadline = _DEADLINE if deadline is None else min(deadline, _DEADLINE)
        while True:
            drain(self)
            wait = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if wait <= 0:
                raise Empty
            try:
                msg = plain_get_message(self, "shell", timeout=wait)
            except Empty:
                if not self.is_alive():
                    try:
                        self.stop()
                    except Exception:  # noqa: BLE001 -- already gone; only free the channels
                        pass
                    raise KernelDied("the kernel process died") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                if msg["content"]["status"] == "aborted":
                    raise RuntimeError("Kernel aborted execution request")
                return

    await_reply._grader = True
    RunningKernel.await_reply = await_reply
    RunningKernel.get_message = get_message


# A graded kernel reads a cell as the scan and the verification harness do (IPython's input transformers): no
# automagic, which would make a one-line cell such as `system ('sh' '-c' '...')` -- plain Python to the scan -- a
# shell command in the kernel, and no autocall.
KERNEL_OPTIONS = ("--InteractiveShell.automagic=False", "--InteractiveShell.autocall=0")


@functools.lru_cache(maxsize=None)
def kernel_hidden():
    """Folders a sandboxed kernel sees empty: the installed debugpy, ipykernel's debugger. nbval never debugs; without
    it a kernel opens no debug socket and starts on less CPU (0.44 s instead of 0.49 s, importing numpy, on the 2-core
    development machine). Found by its distribution's record, never as a folder named debugpy in the current one."""
    try:
        folder = Path(importlib.metadata.distribution("debugpy").locate_file("debugpy"))
    except importlib.metadata.PackageNotFoundError:
        return ()
    return (str(folder.resolve()),) if folder.is_dir() else ()


def _kernel_uid(spec):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(spec["uid"]) + (int(worker[2:]) if worker[2:].isdigit() else 0)


def _uid_kernel_argv(spec, uid, sockets):
    """The kernel's argv without namespaces ("uids"): as uid, with a private home in its socket folder."""
    import shutil

    from course_utils.grading import sandbox

    home = sockets / "home"
    home.mkdir()
    if spec.get("mpl_cache"):  # matplotlib would rebuild its font cache and say so on stderr
        shutil.copy2(spec["mpl_cache"], home / Path(spec["mpl_cache"]).name)
        os.chmod(home / Path(spec["mpl_cache"]).name, 0o644)
    os.chown(home, uid, uid)
    os.chmod(home, 0o700)
    env = {"HOME": str(home), "TMPDIR": str(home), "MPLCONFIGDIR": str(home), "IPYTHONDIR": str(home / "ipython"),
           "JUPYTER_RUNTIME_DIR": str(home / "jupyter"), "JUPYTER_DATA_DIR": str(home / "jupyter-data"),
           "JUPYTER_CONFIG_DIR": str(home / "jupyter-config"), "PYTHONPATH": str(sandbox.PACKAGE.parent)}
    argv = [spec["python"], "-m", "ipykernel_launcher", "-f", "{connection_file}", *KERNEL_OPTIONS]
    return sandbox.uid_command(argv, uid=uid,
                               cwd=spec["support"], env=env)


def _patch_start_new_kernel(spec):
    """Make nbval start every kernel as the spec's uid: in a fresh sandbox (spec isolation "bwrap", the
    default), or without namespaces ("uids"). spec: python, uid, support, sockets, mpl_cache, isolation."""
    import nbval.kernel
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    from course_utils.grading import sandbox

    uid = _kernel_uid(spec)
    isolation = spec.get("isolation", "bwrap")

    def start_new_kernel(startup_timeout=60, kernel_name="python", **kwargs):
        if os.geteuid() == 0:  # nothing a previous notebook's kernel started may still run as this uid
            sandbox.kill_uids([uid])
        if _DEADLINE is not None:
            startup_timeout = max(5.0, min(startup_timeout, _DEADLINE - time.monotonic()))
        sockets = Path(tempfile.mkdtemp(prefix="k", dir=spec["sockets"]))
        if os.geteuid() == 0:
            os.chown(sockets, uid, uid)
            os.chmod(sockets, 0o700)
        else:
            os.chmod(sockets, 0o777)
        if isolation == "uids":
            argv = _uid_kernel_argv(spec, uid, sockets)
        else:
            argv = sandbox.command([spec["python"], "-m", "ipykernel_launcher", "-f", "{connection_file}",
                                    *KERNEL_OPTIONS], uid=uid, workdir=spec["support"], rw=[str(sockets)],
                                   mpl_cache=spec.get("mpl_cache"), hidden=kernel_hidden())

        class SandboxSpecs(KernelSpecManager):
            def get_kernel_spec(self, name):
                return KernelSpec(argv=argv, display_name="sandboxed python", language="python",
                                  interrupt_mode="message", resource_dir=str(sockets))

        km = KernelManager(kernel_name="sandboxed", kernel_spec_manager=SandboxSpecs(),
                           transport="ipc", ip=str(sockets / "kernel"))
        km.connection_file = str(sockets / "connection.json")
        kwargs.pop("cwd", None)
        km.start_kernel(**kwargs)
        os.chmod(km.connection_file, 0o644)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=startup_timeout)
        except RuntimeError:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
            raise
        if os.geteuid() == 0:  # its sockets exist now: the kernel may not create any other file here
            os.chown(sockets, 0, 0)
        os.chmod(sockets, 0o755)
        return km, kc

    nbval.kernel.start_new_kernel = start_new_kernel


def output_text(outputs):
    """The text an nbval cell printed (stream, text/plain, error lines), as one string."""
    parts = []
    for out in outputs or []:
        if out.get("output_type") == "stream":
            text = out.get("text", "")
            parts.append("".join(text) if isinstance(text, list) else text)
        elif out.get("output_type") in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain", "")
            parts.append(("".join(text) if isinstance(text, list) else text) + "\n")
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
    return "".join(parts)


def _describe(item, call):
    """A JSON-able row for one nbval cell item and phase."""
    row = {"file": str(item.path), "cell": item.cell_num, "when": call.when, "duration": call.duration, "ok": True}
    excinfo = call.excinfo
    if excinfo is not None:
        value = excinfo.value
        row.update(ok=False, exception=type(value).__name__, text=str(value)[:20000],
                   skipped=type(value).__name__ == "Skipped")
        errors = [o for o in (getattr(item, "test_outputs", None) or []) if o.get("output_type") == "error"]
        if errors:
            row.update(ename=str(errors[-1].get("ename"))[:200], evalue=str(errors[-1].get("evalue"))[:20000])
        if str(value) == OUTPUTS_DIFFER:
            from nbval.plugin import coalesce_streams

            row.update(expected=output_text(coalesce_streams(list(item.cell.outputs))),
                       got=output_text(item.test_outputs)[:20000])
        row["dead_at_start"] = isinstance(value, RuntimeError) and str(value) == DEAD_AT_START
        row["timeout"] = str(value).startswith(TIMEOUT_PREFIX) or getattr(item, "_grader_timed_out", False)
        out_of_time = _DEADLINE is not None and time.monotonic() >= _DEADLINE
        if str(value).startswith(BUDGET) or (row["timeout"] and out_of_time):
            row["budget"] = True  # cut off (or never started) by the grading time budget, not its own time limit
    kernel = getattr(item.parent, "kernel", None)
    row["alive"] = bool(kernel is not None and kernel.is_alive())
    return row


def _plugin_class():
    import pytest

    class GraderPlugin:
        """Collects one row per nbval cell and phase; the controller process writes them to a JSON file."""

        def __init__(self, config, path, uid=None):
            self.path, self.rows, self.uid = Path(path), [], uid
            self.is_worker = hasattr(config, "workerinput")

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_setup(self, item):
            if _DEADLINE is not None and time.monotonic() >= _DEADLINE and hasattr(item, "cell_num"):
                pytest.skip(BUDGET)  # before its notebook's kernel would even start

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_call(self, item):
            before = getattr(item.parent, "timed_out", False)
            try:
                return (yield)
            finally:
                item._grader_timed_out = not before and getattr(item.parent, "timed_out", False)

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_makereport(self, item, call):
            report = yield
            if call.when in ("setup", "call") and hasattr(item, "cell_num"):
                try:
                    report.user_properties.append(("grader", _describe(item, call)))
                except Exception as exc:  # noqa: BLE001 -- never break the run; say what went wrong
                    report.user_properties.append(("grader", {"file": str(item.path), "cell": item.cell_num,
                                                              "when": call.when, "ok": False, "alive": True,
                                                              "exception": "GraderPluginError", "text": repr(exc)}))
            return report

        def pytest_runtest_logreport(self, report):
            if not self.is_worker:
                rows = [value for key, value in report.user_properties if key == "grader"]
                self.rows += rows
                if rows:  # written as they come: a killed run loses nothing already graded
                    tmp = self.path.with_suffix(".partial")
                    tmp.write_text(json.dumps(self.rows), encoding="utf-8")
                    tmp.replace(self.path)

        def pytest_sessionfinish(self, session):
            if self.uid is not None and os.geteuid() == 0:  # what the last kernel left running, however detached
                from course_utils.grading import sandbox

                sandbox.kill_uids([self.uid])
            if not self.is_worker:
                tmp = self.path.with_suffix(".partial")
                tmp.write_text(json.dumps(self.rows), encoding="utf-8")
                tmp.replace(self.path)

    return GraderPlugin


def pytest_addoption(parser):
    """pytest hook: the options of the grader's nbval runs."""
    group = parser.getgroup("nbval")
    group.addoption("--grader-results", default=None, metavar="FILE",
                    help="(course_utils grader) write per-cell results to FILE as JSON")
    group.addoption("--grader-sandbox", default=None, metavar="JSON",
                    help="(course_utils grader) start every kernel in a sandbox: {python, uid, support, sockets}")
    group.addoption("--grader-deadline", default=None, metavar="EPOCH",
                    help="(course_utils grader) time.time() by which the run must end: cells are cut and skipped")


def pytest_configure(config):
    """pytest hook: when --grader-results is given, patch nbval and register the result collector."""
    global _DEADLINE
    path = config.getoption("--grader-results", default=None)
    if path:
        deadline = config.getoption("--grader-deadline", default=None)
        if deadline:
            _DEADLINE = time.monotonic() + (float(deadline) - time.time())
        _patch_await_reply()
        spec = config.getoption("--grader-sandbox", default=None)
        uid = None
        if spec:
            spec = json.loads(spec)
            _patch_start_new_kernel(spec)
            uid = _kernel_uid(spec)
        config.pluginmanager.register(_plugin_class()(config, path, uid), "course-utils-grader")


KERNEL_STARTUP_TIMEOUT = 180  # seconds a kernel may take to answer (nbval's 60 ran out on a loaded 2-core machine;
# the run's deadline bounds it, see _patch_start_new_kernel)


def nbval_command(python, notebooks, workdir, results, timeout, jobs=1, sandbox_spec=None, deadline=None):
    """The argv of one nbval run over `notebooks` (strict: check cells' text is compared); deadline: time.time()
    by which it must end."""
    cmd = [python, "-m", "pytest", "-c", str(workdir / "pytest.ini"), "--rootdir", str(workdir), "--noconftest",
           "-p", "no:cacheprovider", "-p", "nbval.plugin", "-p", __name__, "--nbval", "--nbval-current-env",
           f"--nbval-cell-timeout={timeout:g}", f"--nbval-kernel-startup-timeout={KERNEL_STARTUP_TIMEOUT:g}",
           f"--grader-results={results}", "-q", "--tb=no",
           "-W", "ignore::DeprecationWarning"]
    if sandbox_spec is not None:
        cmd.append("--grader-sandbox=" + json.dumps(sandbox_spec))
    if deadline is not None:
        cmd.append(f"--grader-deadline={deadline:.3f}")
    if jobs > 1:
        cmd += ["-p", "xdist.plugin", "-n", str(jobs), "--dist", "loadscope"]
    return cmd + [str(p) for p in notebooks]
