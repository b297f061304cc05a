"""The cell contract, in one place: what makes a cell an exercise, a check or a demo, its metadata,
the stub of an exercise and the merged notebook that grading runs. Used by the build, the grader and
the test fixtures.

Cells (nbformat 4.5, readable unique ids):

- exercise -- tag ``exercise``, metadata ``{"course": {"exercise": NAME, "points": N, "verify": SPEC}}``
  with N >= 1 and SPEC naming the verification spec ("module:attribute", see verify.py). Its body is
  the student's code; in the release the solution block (between the begin and end markers, see
  BEGIN_RE and END_RE) is a stub raising NotImplementedError(hint).
- check -- tag ``check``, metadata ``{"course": {"exercise": NAME}}``, exactly one per exercise, after it;
  source exactly ``from <checks module> import check_NAME`` / ``check_NAME(function)``. In the release a
  check cell shows no output (an unrun check must not look passed): its reference outputs and execution
  count are kept in ``metadata.course.outputs`` / ``metadata.course.execution_count`` (hide_check_outputs),
  and grading puts them back before nbval compares (merge).
- demo -- every other code cell.
"""
from __future__ import annotations

import re

# The rule for a function that prints: the checks and the grader say it with the same words (judge.py).
from course_utils.expect import PRINTS_ADVICE  # noqa: F401

EXERCISE, CHECK, DEMO = "exercise", "check", "demo"
_MARK = "SOLUTION"  # the markers are "# BEGIN " + _MARK + ": hint" and "# END " + _MARK; spelled in two
# pieces here so that this file, which ships to students, holds no marker text itself
BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)# BEGIN " + _MARK + r":?(?P<hint>.*)$")
END_RE = re.compile(r"^[ \t]*# END " + _MARK + r"[ \t]*$")
CHECKS_MODULE = "course_utils.checks"


class ContractError(ValueError):
    """A notebook breaks the cell contract; the message names the cell and what was expected."""


def source(cell):
    """The cell's source as one string (nbformat allows a list of lines). Raises ContractError."""
    src = cell.get("source", "")
    if isinstance(src, list) and all(isinstance(s, str) for s in src):
        return "".join(src)
    if isinstance(src, str):
        return src
    raise ContractError("cell source is neither a string nor a list of strings")


def _metadata(cell):
    meta = cell.get("metadata")
    return meta if isinstance(meta, dict) else {}


def tags(cell):
    """The cell's tags (a list; [] when absent or malformed)."""
    found = _metadata(cell).get("tags")
    return list(found) if isinstance(found, list) else []


def course_meta(cell):
    """The cell's ``metadata.course`` dict ({} when absent or malformed)."""
    found = _metadata(cell).get("course")
    return dict(found) if isinstance(found, dict) else {}


def role(cell):
    """EXERCISE, CHECK or DEMO for a code cell; None for any other cell."""
    if cell.get("cell_type") != "code":
        return None
    found = tags(cell)
    if EXERCISE in found:
        return EXERCISE
    if CHECK in found:
        return CHECK
    return DEMO


def valid_points(points):
    """True when `points` is what an exercise cell may carry: an int >= 1 (not a bool)."""
    return isinstance(points, int) and not isinstance(points, bool) and points >= 1


def exercise_meta_problem(cell):
    """None when the exercise cell's metadata is complete, else what is wrong (str)."""
    meta = course_meta(cell)
    if not isinstance(meta.get("exercise"), str) or not meta["exercise"].isidentifier():
        return "needs metadata course.exercise = '<function name>'"
    if not valid_points(meta.get("points")):
        return "needs metadata course.points = <int >= 1>"
    spec = meta.get("verify")
    if not isinstance(spec, str) or ":" not in spec:
        return "needs metadata course.verify = '<module>:<spec>' (its verification spec)"
    return None


def check_source(exercise, function=None, module=CHECKS_MODULE):
    """The exact source of the check cell of `exercise` (function defaults to the exercise name)."""
    return f"from {module} import check_{exercise}\ncheck_{exercise}({function or exercise})"


def parse_check_source(text):
    """(module, exercise, function) of a check cell's source, or None when it is not of the contract's form."""
    match = re.fullmatch(r"from ([\w.]+) import check_(\w+)\ncheck_(\w+)\((\w+)\)", text.strip())
    if not match or match.group(2) != match.group(3):
        return None
    return match.group(1), match.group(2), match.group(4)


def _py_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_stub(text, where="cell"):
    """Replace every solution block of `text` (from a BEGIN_RE line with its hint to an END_RE line) by a stub.

    The stub keeps the indentation of the BEGIN marker:
        # YOUR CODE HERE: hint
        raise NotImplementedError("hint")
    Raises ContractError for a missing hint, an unclosed, stray or nested marker, or no block at all.
    """
    out, hint, indent, blocks = [], None, "", 0
    for number, line in enumerate(text.splitlines(), start=1):
        begin, end = BEGIN_RE.match(line), END_RE.match(line)
        if begin:
            if hint is not None:
                raise ContractError(f"{where}: line {number}: a begin marker inside another solution block")
            hint, indent = begin.group("hint").strip(), begin.group("indent")
            if not hint:
                raise ContractError(f"{where}: line {number}: the begin marker needs a one-line hint "
                                    f"('# BEGIN {_MARK}: <what to write>')")
        elif end:
            if hint is None:
                raise ContractError(f"{where}: line {number}: an end marker without a begin marker")
            out += [f"{indent}# YOUR CODE HERE: {hint}", f"{indent}raise NotImplementedError({_py_string(hint)})"]
            hint, blocks = None, blocks + 1
        elif hint is None:
            out.append(line)
    if hint is not None:
        raise ContractError(f"{where}: a begin marker without an end marker")
    if blocks == 0:
        raise ContractError(f"{where}: exercise cell without a '# BEGIN {_MARK}: hint' ... '# END {_MARK}' block")
    return "\n".join(out)


def has_solution_marker(text):
    """True when `text` holds a begin or end marker line of a solution block."""
    return any(BEGIN_RE.match(line) or END_RE.match(line) for line in text.splitlines())


def hide_check_outputs(cell):
    """Move a check cell's outputs and execution count into metadata.course (in place); returns the cell."""
    meta = cell.setdefault("metadata", {})
    course = meta.setdefault("course", {})
    course["outputs"] = list(cell.get("outputs") or [])
    course["execution_count"] = cell.get("execution_count")
    cell["outputs"], cell["execution_count"] = [], None
    return cell


def with_reference_outputs(cell):
    """A copy of a release check cell with its reference outputs back in place (hide_check_outputs undone)."""
    course = course_meta(cell)
    if "outputs" not in course:
        return cell
    return dict(cell, outputs=course["outputs"], execution_count=course.get("execution_count"))


def merge(release_nb, roles, stubs, sources):
    """The notebook grading runs: the release with the student's exercise sources put in.

    release_nb -- the release notebook (dict); roles -- cell id -> (role, exercise name)
    stubs -- exercise name -> the release's source of its cell
    sources -- exercise name -> the student's source, or None for the stub
    Exercise cells lose outputs and execution counts (nbval then does not compare them); check cells get
    their reference outputs back from metadata (with_reference_outputs); every other cell, its metadata and
    its reference outputs are the release's. Returns a new notebook dict.
    """
    cells = []
    for cell in release_nb["cells"]:
        kind, name = roles.get(cell.get("id"), (None, None))
        if kind == EXERCISE:
            text = sources.get(name)
            cell = dict(cell, source=stubs[name] if text is None else text, outputs=[], execution_count=None)
        elif kind == CHECK:
            cell = with_reference_outputs(cell)
        cells.append(cell)
    return dict(release_nb, cells=cells)
