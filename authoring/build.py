"""Build the student release (notebooks/) from the reference solutions (solutions/).

    python -m authoring.build                 # every notebook, then the README index
    python -m authoring.build --only 01 02    # some notebooks (number, stem or file name)
    python -m authoring.build --check         # build into a temporary folder, compare, write nothing
    python -m authoring.build --student-release DIR --class-key KEY   # the students' repository
    python -m authoring.build --gradescope FILE.zip --class-key KEY   # Gradescope's autograder
    python -m authoring.build --capstone-codes IDS --class-key KEY    # notebook 06's codes, one per student

For every solutions/NN_name.ipynb the build
1. validates the cell contract (readable unique ids, exercise/check metadata, solution markers),
2. executes the notebook top to bottom in a fresh python3 kernel (nbclient, cwd = notebooks/),
3. writes notebooks/NN_name.ipynb: exercise cells get a stub in place of each
   `# BEGIN SOLUTION: hint` ... `# END SOLUTION` block and no outputs; so do demo cells tagged
   `student-output` (they show what the student's own functions give, and carry nbval-ignore-output);
   every other cell keeps the outputs of the real execution; execution counts are 1, 2, 3, ... over the code cells,
4. re-runs the built notebooks with the solutions' exercise cells in other numerical environments (numpy's
   baseline SIMD code with another OpenBLAS kernel, and the oldest numpy allowed: authoring.portability) and
   refuses to write anything if a compared output differs there,
5. rewrites the notebook index in README.md between the notebook-index markers.

Stored outputs are cleaned so that building twice gives byte-identical files: ANSI colour codes and
machine paths are removed, widget views (random model ids, useless without the kernel) are dropped
-- the widgets' static text/picture fallback stays --, and timing or widget-state metadata is
never written. A solution cell that raises, writes to stderr (warnings) or stores "<Figure size ...>"
text fails the build with the cell's id.
"""
import argparse
import ast
import copy
import os
import re
import sys
import tempfile
from pathlib import Path

import nbformat

from authoring.portability import BLAS_SETTINGS
from course_utils.grading import cells
from course_utils.grading.verify import load_spec

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
RELEASE = ROOT / "notebooks"
README = ROOT / "README.md"
INDEX_START = "<!-- notebook-index:start -->"
INDEX_END = "<!-- notebook-index:end -->"
CELL_TIMEOUT = 120  # seconds per cell; the course's notebooks run in seconds

ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
RANDOM_ID_RE = re.compile(r"^(?:[0-9a-f]{8}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}  # no version: the release must not depend on the machine
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "widgets")
STUDENT_OUTPUT = "student-output"  # tag of a demo cell that shows the student's own results: no stored output


class BuildError(Exception):
    """A solution notebook breaks the cell contract or fails to run; the message says where."""


# ----------------------------------------------------------------------------------------------
# Cell helpers


def is_exercise(cell):
    return cells.role(cell) == cells.EXERCISE


def is_check(cell):
    return cells.role(cell) == cells.CHECK


check_source = cells.check_source
tags, course_meta = cells.tags, cells.course_meta


def make_stub(source, where="cell"):
    """The release's stub of an exercise cell (cells.make_stub); raises BuildError."""
    try:
        return cells.make_stub(source, where)
    except cells.ContractError as error:
        raise BuildError(str(error)) from None


def _defines_only_functions(source, where):
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise BuildError(f"{where}: does not parse: {error}") from None
    allowed = (ast.FunctionDef, ast.Import, ast.ImportFrom, ast.Pass)
    functions = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        if not isinstance(node, allowed):
            raise BuildError(f"{where}: an exercise cell may only define functions (and import); line "
                             f"{node.lineno} does top-level work, which the unsolved stub would not stop")
        if isinstance(node, ast.FunctionDef):
            functions.append(node.name)
    if not functions:
        raise BuildError(f"{where}: an exercise cell must define a function")
    return functions


# ----------------------------------------------------------------------------------------------
# Validation


def validate(nb, name="notebook"):
    """Check the cell contract of a solution notebook; raise BuildError naming the first problem."""
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        raise BuildError(f"{name}: nbformat {nb.get('nbformat')}.{nb.get('nbformat_minor')}: need 4.5 "
                         "(cell ids); write it with nbformat.v4.new_notebook() and give every cell an id")
    seen = {}
    exercises = {}  # exercise name -> (cell id, functions)
    checks = {}
    for index, cell in enumerate(nb.cells):
        cid = cell.get("id")
        where = f"{name}: cell {index}" + (f" (id {cid!r})" if cid else "")
        if not cid:
            raise BuildError(f"{where}: has no id")
        if not ID_RE.match(cid) or len(cid) > 64:
            raise BuildError(f"{where}: id must be lowercase words joined by '-' (e.g. 'ex-forward-difference')")
        if RANDOM_ID_RE.match(cid):
            raise BuildError(f"{where}: id looks random; give it a readable name such as 'demo-epsilon-plot'")
        if cid in seen:
            raise BuildError(f"{where}: duplicate id (also cell {seen[cid]})")
        seen[cid] = index
        source = cell.get("source", "")
        has_marker = cells.has_solution_marker(source)
        if is_exercise(cell) and is_check(cell):
            raise BuildError(f"{where}: tagged both 'exercise' and 'check'")
        tags = cell.get("metadata", {}).get("tags", [])
        if STUDENT_OUTPUT in tags and (is_exercise(cell) or is_check(cell) or "nbval-ignore-output" not in tags):
            raise BuildError(f"{where}: a '{STUDENT_OUTPUT}' cell stores no output, so it must be a demo cell "
                             "tagged 'nbval-ignore-output' as well")
        if is_exercise(cell):
            problem = cells.exercise_meta_problem(cell)
            if problem:
                raise BuildError(f"{where}: exercise cell {problem}")
            exercise = course_meta(cell)["exercise"]
            try:
                spec = load_spec(course_meta(cell)["verify"], RELEASE)
            except (ImportError, LookupError, AttributeError) as error:
                raise BuildError(f"{where}: its verification spec cannot be loaded: {error}") from None
            if spec.function not in _defines_only_functions(source, where):
                raise BuildError(f"{where}: its verification spec calls {spec.function!r}, which the cell does not define")
            if exercise in exercises:
                raise BuildError(f"{where}: exercise {exercise!r} already in cell {exercises[exercise][0]!r}")
            functions = _defines_only_functions(source, where)
            stub = make_stub(source, where)
            _defines_only_functions(stub, where + " (stub)")
            exercises[exercise] = (cid, functions)
        elif has_marker:
            raise BuildError(f"{where}: SOLUTION markers outside an exercise cell (tag it 'exercise')")
        if is_check(cell):
            exercise = course_meta(cell).get("exercise")
            if exercise not in exercises:
                raise BuildError(f"{where}: check cell for exercise {exercise!r}, which no exercise cell above defines")
            if exercise in checks:
                raise BuildError(f"{where}: second check cell for {exercise!r}")
            lines = source.strip().splitlines()
            called = re.fullmatch(rf"check_{exercise}\((\w+)\)", lines[-1]) if len(lines) == 2 else None
            if not called or source.strip() != check_source(exercise, called.group(1)):
                raise BuildError(f"{where}: a check cell's source must be exactly\n{check_source(exercise)}")
            if called.group(1) not in exercises[exercise][1]:
                raise BuildError(f"{where}: checks {called.group(1)!r}, which exercise cell "
                                 f"{exercises[exercise][0]!r} does not define")
            checks[exercise] = cid
    missing = sorted(set(exercises) - set(checks))
    if missing:
        raise BuildError(f"{name}: exercise(s) without a check cell: {', '.join(missing)}")
    return exercises


# ----------------------------------------------------------------------------------------------
# Cleaning outputs


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


# ----------------------------------------------------------------------------------------------
# Build


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


# ----------------------------------------------------------------------------------------------
# Index


def first_heading(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def reading_time(nb):
    """The '**Time:** ...' line of the first markdown cells, else their 'about N minutes', else ''."""
    for cell in nb.cells[:3]:
        if cell.cell_type == "markdown":
            match = re.search(r"\*\*(?:Reading )?time:?\*\*:?\s*(.+)", cell.source, re.IGNORECASE)
            if match:
                return match.group(1).strip().rstrip(".")
            match = re.search(r"\babout (\d+(?:[-–]\d+)?) ?min(?:utes)?\b", cell.source, re.IGNORECASE)
            if match:
                return f"about {match.group(1)} minutes"
    return ""


def index_table(release_dir=RELEASE, base=ROOT):
    """Markdown table of the notebooks in release_dir, links relative to `base`."""
    rows = ["| # | Notebook | Exercises (points) | Time |", "|---|---|---|---|"]
    for path in sorted(Path(release_dir).glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        title = first_heading(nb) or path.stem[3:].replace("_", " ").capitalize()
        link = os.path.relpath(path, base).replace(os.sep, "/")
        exercises = [f"`{course_meta(c)['exercise']}` ({course_meta(c).get('points', 0)})"
                     for c in nb.cells if is_exercise(c)]
        rows.append(f"| {path.name[:2]} | [{title}]({link}) | {', '.join(exercises) or '—'} | {reading_time(nb)} |")
    return "\n".join(rows)


def update_readme(readme=README, release_dir=RELEASE):
    """Write the index between the markers of README.md; return True if written, False if no markers."""
    readme = Path(readme)
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if INDEX_START not in text or INDEX_END not in text or text.index(INDEX_START) > text.index(INDEX_END):
        print(f"warning: {readme} lacks the markers {INDEX_START} ... {INDEX_END}; notebook index not written",
              file=sys.stderr)
        return False
    head, rest = text.split(INDEX_START, 1)
    _, tail = rest.split(INDEX_END, 1)
    new = f"{head}{INDEX_START}\n{index_table(release_dir, readme.parent)}\n{INDEX_END}{tail}"
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return True


# ----------------------------------------------------------------------------------------------
# Command line


def select(names, solutions_dir=SOLUTIONS):
    """Solution paths matching `names` (number '01', stem or file name); all if names is empty."""
    paths = sorted(Path(solutions_dir).glob("*.ipynb"))
    if not names:
        return paths
    chosen = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb")
        hits = [p for p in paths if p.stem == stem] or [p for p in paths if p.stem.startswith(stem)]
        if len(hits) != 1:
            found = ", ".join(p.stem for p in hits) or "nothing"
            raise BuildError(f"--only {name}: matches {found} in {solutions_dir}")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m authoring.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", default=[],
                        help="build only these notebooks: number (01), stem or file name")
    parser.add_argument("--check", action="store_true",
                        help="build into a temporary folder and report which release files are out of date")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS, help=argparse.SUPPRESS)
    parser.add_argument("--release", type=Path, default=RELEASE, help=argparse.SUPPRESS)
    delivery = parser.add_argument_group(
        "delivery", "package the release as built (notebooks/ is not rebuilt; authoring/delivery/)")
    delivery.add_argument("--student-release", type=Path, metavar="DIR",
                          help="write the students' repository into DIR (new, empty, or an earlier student release)")
    delivery.add_argument("--gradescope", type=Path, metavar="FILE.zip",
                          help="write the Gradescope autograder bundle to FILE.zip")
    delivery.add_argument("--class-key", type=Path, metavar="FILE",
                          help="with --student-release, --gradescope or --capstone-codes (required): the class key "
                               "notebook 06's teammates are sealed under and its capstone codes issued with; made in "
                               "FILE if FILE does not exist. Keep it: the grader needs it (grade --class-key FILE)")
    delivery.add_argument("--capstone-codes", type=Path, metavar="IDS",
                          help="print the capstone code of every student id in IDS (one per line, or a roster CSV: "
                               "its first column) as CSV: student id, capstone code")
    delivery.add_argument("--github", metavar="OWNER/NAME",
                          help="with --student-release: the students' GitHub repository, for the README's clone "
                               "and Binder links")
    parser.add_argument("--no-portability-check", action="store_true",
                        help="write the notebooks without re-running them in other numerical environments "
                             "(drafts only: a release built so may fail on students' computers)")
    args = parser.parse_args(argv)
    if args.github and not args.student_release:
        parser.error("--github: only with --student-release DIR")
    if args.class_key and not (args.student_release or args.gradescope or args.capstone_codes):
        parser.error("--class-key FILE: only with --student-release, --gradescope or --capstone-codes")
    if args.student_release or args.gradescope or args.capstone_codes:
        if args.only or args.check:
            parser.error("--student-release, --gradescope and --capstone-codes package the built release; run "
                         "--only/--check separately")
        if not args.class_key:
            parser.error("--class-key FILE is required: the key of this class (a new one is made in FILE if it does "
                         "not exist; use the same FILE for the student release, the Gradescope bundle and the codes)")
        return deliver(args)
    try:
        paths = select(args.only, args.solutions)
        if not paths:
            raise BuildError(f"no solution notebooks in {args.solutions}")
        if args.check:
            stale = []
            with tempfile.TemporaryDirectory() as tmp:
                for path in paths:
                    built = build_notebook(path, tmp, cwd=args.release)
                    current = Path(args.release) / path.name
                    if not current.exists() or current.read_bytes() != built.read_bytes():
                        stale.append(path.name)
            for name in stale:
                print(f"out of date: notebooks/{name}")
            print("release is up to date" if not stale else "run: python -m authoring.build")
            return 1 if stale else 0
        failed = []
        Path(args.release).mkdir(parents=True, exist_ok=True)  # the kernels' working folder
        with tempfile.TemporaryDirectory(prefix="build-") as tmp:
            built = []
            for path in paths:  # one broken notebook does not stop the others
                try:
                    built.append(build_notebook(path, tmp, cwd=args.release))
                except BuildError as error:
                    print(f"build failed: {error}", file=sys.stderr)
                    failed.append(path.name)
            if built and not args.no_portability_check:
                refused = portable(tmp, args.solutions, [p.name for p in built])
                if refused:
                    print(f"build refused: these outputs differ on other computers, so every student there would "
                          f"fail them; print what is stable (authoring/portability.py):\n{refused}", file=sys.stderr)
                    return 1
            for path in built:
                target = Path(args.release) / path.name
                if not target.exists() or target.read_bytes() != path.read_bytes():
                    target.write_bytes(path.read_bytes())
                print(f"built {os.path.relpath(target, Path.cwd())}")
        if args.release.resolve() == RELEASE.resolve():
            update_readme(README, args.release)
        if failed:
            print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
            return 1
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    return 0


def portable(built_dir, solutions_dir, names):
    """'' when the built notebooks' compared outputs are the same in every other numerical environment
    (authoring.portability), else a report of the differing cells."""
    from authoring import portability
    try:
        return portability.describe(portability.check(built_dir, solutions_dir, names))
    except portability.PortabilityError as error:
        raise BuildError(f"the portability check could not run ({error}); fix that, or pass "
                         "--no-portability-check for a draft") from None


def class_key(path):
    """The class key in `path`, made there first if the file does not exist (BuildError when it is not a key)."""
    from course_utils.grading import teammates

    path = Path(path)
    if not path.exists():
        key = teammates.write_new_key(path)
        print(f"new class key written to {path} (readable by you only). Keep it, and never give it to students: "
              "the grader needs it (grade --class-key), and the capstone codes come from it", file=sys.stderr)
        return key
    try:
        key = teammates.load_key(path)
    except ValueError as error:
        raise BuildError(str(error)) from None
    if key == teammates.DEMO_KEY:
        raise BuildError(f"--class-key {path}: that is the course's public demo key; a class needs its own (give a "
                         "FILE that does not exist, and a new key is made there)")
    return key


def capstone_codes(path, key):
    """CSV text: "student id,capstone code" for every id in the file `path` (one id per line, or the first column
    of a CSV with a header). BuildError for an id that is not one."""
    import csv
    import io

    from course_utils import capstone
    from course_utils.grading import teammates

    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise BuildError(f"--capstone-codes {path}: cannot read it ({error.strerror or error})") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
    if rows and "," in text.splitlines()[0] and not capstone.ID_PATTERN.fullmatch(rows[0][0].strip()):
        rows = rows[1:]  # a header
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student id", "capstone code"])
    for number, row in enumerate(rows, 1):
        student = row[0].strip()
        try:
            writer.writerow([student, teammates.code_for(key, student)])
        except ValueError as error:
            raise BuildError(f"--capstone-codes {path}, line {number}: {error}") from None
    return out.getvalue()


def deliver(args):
    """--student-release DIR and/or --gradescope FILE.zip (authoring.delivery); returns the exit status."""
    from authoring.delivery import DeliveryError
    from authoring.delivery.gradescope import build_gradescope
    from authoring.delivery.student_release import build_student_release

    try:
        key = class_key(args.class_key)
        if args.student_release:
            count = build_student_release(args.student_release, args.release, args.solutions, args.github,
                                          class_key=key)
            print(f"student release written to {args.student_release} ({count} files)")
        if args.gradescope:
            count = build_gradescope(args.gradescope, args.release, args.solutions, class_key=key)
            print(f"Gradescope autograder written to {args.gradescope} ({count} entries)")
        if args.capstone_codes:
            sys.stdout.write(capstone_codes(args.capstone_codes, key))
    except (DeliveryError, BuildError) as error:
        print(f"delivery failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
