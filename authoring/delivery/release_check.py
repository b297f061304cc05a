"""The release check of the delivery: the release notebooks (notebooks/) are what the build makes of solutions/, and
nothing shipped holds a solution marker line.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from authoring.delivery import DeliveryError, File
from authoring.paths import RELEASE, SOLUTIONS


def _cells(path):
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        return nb["cells"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DeliveryError(f"{path}: cannot read the notebook ({error})") from None


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def check_release(release_dir=RELEASE, solutions_dir=SOLUTIONS):
    """Refuse a release notebooks/ that is not what the build makes of solutions/ (cheaply).

    Every solution has its release notebook and no other notebook is there; the cells have the same
    ids in the same order; an exercise cell is exactly the stub of the solution's cell and has no
    outputs; every other cell has the solution's source. So the author's own solved or edited copy
    of a release notebook is never shipped, and a solution changed since the last build is noticed.
    (Outputs of demo and check cells are not compared: that needs a run, `python -m authoring.build
    --check`.) Returns the sorted release notebook paths.
    """
    from course_utils.grading import cells as contract

    release_dir, solutions_dir = Path(release_dir), Path(solutions_dir)
    solutions = sorted(solutions_dir.glob("*.ipynb"))
    if not solutions:
        raise DeliveryError(f"no solution notebooks in {solutions_dir}")
    notebooks = sorted(release_dir.glob("*.ipynb"))
    names = {p.name for p in solutions}
    extra = [p.name for p in notebooks if p.name not in names]
    if extra:
        raise DeliveryError(f"{release_dir} holds notebooks without a solution in {solutions_dir}: "
                            f"{', '.join(extra)}; remove them or add their solutions")
    rebuild = "run `python -m authoring.build` first"
    for solution in solutions:
        released = release_dir / solution.name
        if not released.is_file() or released.is_symlink():
            raise DeliveryError(f"{released} is missing; {rebuild}")
        want, have = _cells(solution), _cells(released)
        if [c.get("id") for c in want] != [c.get("id") for c in have]:
            raise DeliveryError(f"{released}: its cells are not those of {solution} (ids or order differ); {rebuild}")
        for sol, rel in zip(want, have, strict=True):
            where = f"{released.name}: cell {rel.get('id')!r}"
            if contract.role(sol) == contract.EXERCISE:
                try:
                    stub = contract.make_stub(_source(sol), where)
                except contract.ContractError as error:
                    raise DeliveryError(str(error)) from None
                if _source(rel) != stub or rel.get("outputs"):
                    raise DeliveryError(f"{where} is not the unsolved stub (a solved or edited copy?); {rebuild}")
            elif _source(rel) != _source(sol):
                raise DeliveryError(f"{where} differs from the solution's; {rebuild}")
    return [release_dir / p.name for p in solutions]


MARKER_LINE_RE = re.compile(r"^[ \t]*#[ \t]*(?:BEGIN|END) SOLUTION", re.MULTILINE)


def refuse_solution_markers(files):
    """Last guard before writing: no shipped file may hold a solution block's marker line.

    (The grader's cell contract, course_utils/grading/cells.py, names the markers in a regular
    expression and its docstrings; those are not marker *lines*.) In a notebook the cell sources
    are JSON strings, so they are checked decoded.
    """
    for rel, item in files.items():
        try:
            text = item.data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # a picture
        if rel.endswith(".ipynb"):
            try:
                text = "\n".join(_source(c) for c in json.loads(text).get("cells", []))
            except (ValueError, AttributeError):
                raise DeliveryError(f"{rel}: not a readable notebook") from None
        match = MARKER_LINE_RE.search(text)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            raise DeliveryError(f"{rel}: line {line} is a solution marker ({match.group(0).strip()!r}); "
                                "nothing shipped may contain a solution")


def release_files(release_dir=RELEASE, solutions_dir=SOLUTIONS, prefix="notebooks"):
    """{prefix/NAME.ipynb: File} of the checked release notebooks, byte for byte."""
    return {f"{prefix}/{p.name}": File(p.read_bytes()) for p in check_release(release_dir, solutions_dir)}
