"""The cell contract of a solution notebook, which the build checks before it runs anything.

validate(nb) names the first problem (BuildError): every cell has a readable unique id; an exercise cell carries
its metadata, only defines functions (with imports) whose stub still parses, and names a verification spec that
loads and calls one of them; SOLUTION markers sit in exercise cells only; every exercise has exactly one check
cell, whose source is exactly cells.check_source; a 'student-output' demo cell is also 'nbval-ignore-output'.
The roles, the stubs and the check source are course_utils.grading.cells', the grader's reading of the same
notebooks.
"""
import ast
import re

from authoring.paths import RELEASE
from course_utils.grading import cells
from course_utils.grading.verify import load_spec

ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
RANDOM_ID_RE = re.compile(r"^(?:[0-9a-f]{8}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
STUDENT_OUTPUT = "student-output"  # tag of a demo cell that shows the student's own results: no stored output


class BuildError(Exception):
    """A solution notebook breaks the cell contract or fails to run; the message says where."""


def is_exercise(cell):
    return cells.role(cell) == cells.EXERCISE


def is_check(cell):
    return cells.role(cell) == cells.CHECK


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
            exercise = cells.course_meta(cell)["exercise"]
            try:
                spec = load_spec(cells.course_meta(cell)["verify"], RELEASE)
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
            exercise = cells.course_meta(cell).get("exercise")
            if exercise not in exercises:
                raise BuildError(f"{where}: check cell for exercise {exercise!r}, which no exercise cell above defines")
            if exercise in checks:
                raise BuildError(f"{where}: second check cell for {exercise!r}")
            lines = source.strip().splitlines()
            called = re.fullmatch(rf"check_{exercise}\((\w+)\)", lines[-1]) if len(lines) == 2 else None
            if not called or source.strip() != cells.check_source(exercise, called.group(1)):
                raise BuildError(f"{where}: a check cell's source must be exactly\n{cells.check_source(exercise)}")
            if called.group(1) not in exercises[exercise][1]:
                raise BuildError(f"{where}: checks {called.group(1)!r}, which exercise cell "
                                 f"{exercises[exercise][0]!r} does not define")
            checks[exercise] = cid
    missing = sorted(set(exercises) - set(checks))
    if missing:
        raise BuildError(f"{name}: exercise(s) without a check cell: {', '.join(missing)}")
    return exercises

