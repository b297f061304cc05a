"""Executing a solution notebook and making its release notebook: the build's steps 2 and 3.

build_notebook(solution) validates the solution (authoring.contract), executes it top to bottom in a fresh
python3 kernel (nbclient; cwd = notebooks/) and writes the release notebook: exercise cells and 'student-output'
demo cells without outputs (exercise cells as their stubs), every other cell with the cleaned outputs of the real
execution, execution counts 1, 2, 3, ... over the code cells.

Stored outputs are cleaned so that building twice gives byte-identical files: ANSI colour codes and machine paths
are removed, widget views (random model ids, useless without the kernel) are dropped -- the widgets' static
text/picture fallback stays --, and timing or widget-state metadata is never written. A solution cell that raises,
writes to stderr (warnings) or stores "<Figure size ...>" text fails the build with the cell's id.
"""
import copy
import os
import re
import tempfile
from pathlib import Path

import nbformat

from authoring.contract import STUDENT_OUTPUT, BuildError, is_check, is_exercise, make_stub, validate
from authoring.paths import RELEASE, ROOT
from authoring.portability import BLAS_SETTINGS
from course_utils.grading import cells

CELL_TIMEOUT = 120  # seconds per cell; the course's notebooks run in seconds
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}  # no version: the release must not depend on the machine
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "widgets")


def path_replacements():
    """(machine path, placeholder) pairs, longest first, for scrubbing stored outputs."""
    pairs = {str(ROOT): "<course>", str(Path.home()): "~"}
    for tmp in {tempfile.gettempdir(), "/tmp", os.path.realpath(tempfile.gettempdir())}:
        pairs.setdefault(tmp, "<tmp>")
    return sorted(((p, r) for p, r in pairs.items() if p and p != "/"), key=lambda pr: -len(pr[0]))


def scrub_text(text, replacements=None):
    """`text` without ANSI escape codes and with machine paths replaced by placeholders."""
    text = ANSI_RE.sub("", text)
    for path, placeholder in replacements or path_replacements():
        text = text.replace(path, placeholder)
    return text


def _scrub(value, replacements):
    if isinstance(value, str):
        return scrub_text(value, replacements)
    if isinstance(value, list):
        return [_scrub(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, replacements) for k, v in value.items()}
    return value


def clean_outputs(outputs, execution_count, where=""):
    """Stable copies of a cell's outputs; raise BuildError on stderr text or '<Figure size' text."""
    replacements = path_replacements()
    cleaned = []
    for output in outputs:
        output = copy.deepcopy(dict(output))
        output.pop("transient", None)
        kind = output.get("output_type")
        if kind == "stream":
            if output.get("name") == "stderr":
                raise BuildError(f"{where}: wrote to stderr (a warning?): {output.get('text', '')[:300]!r}")
            output["text"] = scrub_text(output.get("text", ""), replacements)
            last = cleaned[-1] if cleaned else None
            if last is not None and last.get("output_type") == "stream" and last.get("name") == output.get("name"):
                last["text"] += output["text"]  # how a print run splits into messages depends on timing
                continue
        elif kind in ("display_data", "execute_result"):
            data = dict(output.get("data", {}))
            data.pop(WIDGET_VIEW, None)  # random model id, and no widget state is stored
            output["data"] = {k: (v if k.startswith("image/") else _scrub(v, replacements)) for k, v in data.items()}
            if "<Figure size" in str(output["data"].get("text/plain", "")) and len(output["data"]) == 1:
                raise BuildError(f"{where}: stores '<Figure size ...>' text; end the cell with plt.show()")
            output["metadata"] = _scrub(dict(output.get("metadata", {})), replacements)
            if kind == "execute_result":
                output["execution_count"] = execution_count
            if not output["data"]:
                continue
        elif kind == "error":
            output = _scrub(output, replacements)
        cleaned.append(nbformat.from_dict(output))
    return cleaned



def kernel_env():
    """Environment of the executing kernel: inline figures, fixed hashing, no debugger chatter."""
    env = dict(os.environ)
    env.update({"MPLBACKEND": "module://matplotlib_inline.backend_inline", "PYTHONHASHSEED": "0",
                "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    for noisy in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS"):
        env.pop(noisy, None)
    for name in [n for n in env if n.startswith(BLAS_SETTINGS)]:
        env.pop(name)  # a forced BLAS kernel changes the last bit of norms; the grader's sandbox clears them too
    return env


def execute(nb, cwd, name="notebook", timeout=CELL_TIMEOUT):
    """Execute a copy of `nb` in a fresh python3 kernel with working directory `cwd`; return it."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    executed = copy.deepcopy(nb)
    client = NotebookClient(executed, timeout=timeout, kernel_name="python3", allow_errors=False,
                            record_timing=False, store_widget_state=False,
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(env=kernel_env(), cwd=str(cwd))
    except (CellExecutionError, CellTimeoutError) as error:
        failed = next((c for c in executed.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))),
                      None)
        cell = f" cell {failed.get('id')!r}" if failed is not None else ""
        raise BuildError(f"{name}:{cell} failed while executing the solution:\n{scrub_text(str(error))[-2000:]}") from None
    return executed


def release_from_executed(executed, name="notebook"):
    """The release notebook: stubs in exercise cells, cleaned outputs elsewhere, counts 1, 2, ..."""
    release = nbformat.v4.new_notebook()
    release.nbformat, release.nbformat_minor = 4, 5
    metadata = {k: v for k, v in executed.metadata.items() if k not in ("widgets", "language_info", "kernelspec",
                                                                        "papermill", "execution")}
    metadata["kernelspec"], metadata["language_info"] = dict(KERNELSPEC), copy.deepcopy(LANGUAGE_INFO)
    release.metadata = nbformat.from_dict(metadata)
    count = 0
    for cell in executed.cells:
        cell = copy.deepcopy(cell)
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]  # an empty attachments field is noise
        if cell.cell_type == "code":
            count += 1
            cell.execution_count = count
            where = f"{name}: cell {cell.id!r}"
            if is_exercise(cell):
                cell.source = make_stub(cell.source, where)
                cell.outputs = []
            elif STUDENT_OUTPUT in cell.metadata.get("tags", []):
                cell.outputs = []  # it shows what the student's own code gives: not the reference's results
            else:
                cell.outputs = clean_outputs(cell.get("outputs", []), count, where)
                if is_check(cell):  # an unrun check must not look passed: its reference goes to metadata
                    cells.hide_check_outputs(cell)
        release.cells.append(cell)
    nbformat.validate(release)
    return release


def notebook_bytes(nb):
    """The exact bytes the build writes (nbformat's sorted-key JSON, one trailing newline)."""
    return (nbformat.writes(nb, version=4).rstrip("\n") + "\n").encode("utf-8")


def read_solution(path):
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as error:  # not JSON, not a notebook
        raise BuildError(f"{path.name}: cannot read: {error}") from None


def build_notebook(solution_path, release_dir=RELEASE, cwd=None):
    """Build one release notebook from one solution; return the path written."""
    solution_path = Path(solution_path)
    nb = read_solution(solution_path)
    validate(nb, solution_path.name)
    release_dir = Path(release_dir)
    release_dir.mkdir(parents=True, exist_ok=True)
    executed = execute(nb, cwd or release_dir, solution_path.name)
    release = release_from_executed(executed, solution_path.name)
    target = release_dir / solution_path.name
    data = notebook_bytes(release)
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)
    return target

