"""The copy tripwire (course_utils/grading/copies.py, issue #17): exercise cells that paste the course's own code.

The pastes in tests/fixtures/copies/ are the red team's cells (names changed, checks and inject(...) calls
removed): each earned points in notebooks 03-05 before this tripwire. Reference solutions and the catalogs' right
answers must never be flagged; short answers whose honest form is the formula itself are out of its reach.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import json
from pathlib import Path

import pytest

from course_utils.grading import cells, copies, scan_process

ROOT = Path(__file__).resolve().parent.parent
PASTES = ROOT / "tests" / "fixtures" / "copies"

#: paste -> the course function the reason must name (the red team's notes, /tmp/rt/NOTES.md)
COPIED = {
    "bd_paste.py": ("block_differences", "course_utils.expect.nb04.expected_block_differences"),
    "dg_paste.py": ("diagnose", "course_utils.expect.nb04.expected_diagnose"),
    "bpn_paste.py": ("backward_propagation_n", "course_utils.backprop.backward_propagation_deep"),
    "gcn_paste.py": ("gradient_check_n", "course_utils.differences.numerical_gradient"),
    "dc_paste.py": ("directional_check", "course_utils.grading.specs.nb05._directional_case"),
    "vec_paste.py": ("vector_to_dictionary", "course_utils.vectors.vector_to_dictionary"),
}
#: pastes too short to tell from an honest answer (the formula itself): never flagged, by design
SHORT = ("rd.py", "cd.py", "fd.py", "l2_paste.py")


def flags_of(source, exercise=None):
    return scan_process.scan_untrusted(source, {"np": "numpy"}, exercise=exercise)


def copy_reasons(source, exercise=None):
    return [f for f in flags_of(source, exercise) if "looks copied" in f]


@pytest.mark.parametrize("paste", sorted(COPIED))
def test_every_red_team_paste_is_flagged_naming_the_course_function(paste):
    exercise, course = COPIED[paste]
    [reason] = copy_reasons((PASTES / paste).read_text(encoding="utf-8"), exercise)
    assert reason.startswith(f"exercise {exercise} looks copied from course_utils."), reason
    assert course in reason, reason
    assert "a person should compare them" in reason


@pytest.mark.parametrize("paste", SHORT)
def test_short_formula_answers_are_left_alone_even_when_pasted(paste):
    source = (PASTES / paste).read_text(encoding="utf-8")
    assert copy_reasons(source) == []
    found = copies.matches(copies.fingerprint_source(source))
    assert sum(f[2] for f in found) < copies.CELL_MIN_NODES  # out of reach because short, not because unmatched
    assert sum(f[1] for f in found) >= 0.5 * sum(f[2] for f in found)


def _solution_cells():
    out = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code" and cells.role(cell) == cells.EXERCISE:
                out.append(pytest.param(cells.source(cell), id=f"{path.stem[:2]}-{cell['id']}"))
    return out


SOLUTION_CELLS = _solution_cells()


def test_there_are_reference_solutions_to_check():
    assert len(SOLUTION_CELLS) >= 15


@pytest.mark.parametrize("source", SOLUTION_CELLS)
def test_no_reference_solution_is_flagged(source):
    assert flags_of(source) == []


RIGHT_ANSWERS = [pytest.param(e.source, id=f"{e.exercise}:{e.label}")
                 for module in sorted(p.stem for p in (ROOT / "tests").glob("test_catalog_nb*.py"))
                 for e in importlib.import_module(module).CATALOG if e.right]


def test_the_catalogs_hold_right_answers():
    assert len(RIGHT_ANSWERS) >= 40


@pytest.mark.parametrize("source", RIGHT_ANSWERS)
def test_no_right_catalog_answer_is_flagged_as_a_copy(source):
    assert copy_reasons(source) == []


def _renamed(source):
    """source with every variable, argument and function renamed (numpy and builtins kept), docstrings and
    comments gone (ast.unparse)."""
    tree = ast.parse(source)
    keep = {"np", "numpy"} | set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in keep:
            node.id = f"my_{node.id}_"
        elif isinstance(node, ast.arg):
            node.arg = f"my_{node.arg}_"
        elif isinstance(node, ast.FunctionDef):
            node.name = f"my_{node.name}"
    return ast.unparse(tree)


@pytest.mark.parametrize("paste", ["bpn_paste.py", "dg_paste.py", "dc_paste.py"])
def test_renaming_every_variable_does_not_evade(paste):
    source = (PASTES / paste).read_text(encoding="utf-8")
    renamed = _renamed(source)
    assert "my_" in renamed
    compile(renamed, paste, "exec")
    assert copies.fingerprint_source(renamed)[0]["hash"] == copies.fingerprint_source(source)[0]["hash"]
    [reason] = copy_reasons(renamed)
    assert COPIED[paste][1] in reason


def test_docstrings_comments_and_a_deleted_line_do_not_evade():
    source = (PASTES / "bpn_paste.py").read_text(encoding="utf-8")
    edited = source.replace('    Z1, A1, W1', '    """My own backward pass."""  # written by me\n    Z1, A1, W1')
    edited = edited.replace('            grads[f"dA{l - 1}"] = dA\n', "")
    assert edited.count("\n") == source.count("\n")  # one line in, one line out
    assert copy_reasons(edited, "backward_propagation_n")


LIBRARY_CALLS = '''
def block_differences(grad, gradapprox, keys):
    """The same numpy calls as the course (np.linalg.norm, np.ravel, astype, np.asarray), its own way."""
    grad = np.ravel(np.asarray(grad)).astype(float)
    gradapprox = np.ravel(np.asarray(gradapprox)).astype(float)
    out = {}
    seen = []
    for k in keys:
        if k not in seen:
            seen.append(k)
    for name in seen:
        rows = [i for i, k in enumerate(keys) if k == name]
        top = np.linalg.norm(grad[rows] - gradapprox[rows])
        bottom = np.linalg.norm(grad[rows]) + np.linalg.norm(gradapprox[rows])
        if bottom == 0:
            out[name] = 0.0
        else:
            out[name] = float(top / bottom)
    return out
'''


def test_a_function_that_merely_uses_the_same_library_calls_is_not_flagged():
    found = copies.matches(copies.fingerprint_source(LIBRARY_CALLS))
    assert found[0][2] >= copies.CELL_MIN_NODES  # large enough to be judged
    assert copy_reasons(LIBRARY_CALLS, "block_differences") == []


def test_fingerprints_keep_attributes_and_constants():
    def one(text):
        return copies.fingerprint_source(text)[0]["hash"]

    assert one("def f(a):\n    return np.linalg.norm(a)") == one("def g(b):\n    return np.linalg.norm(b)")
    assert one("def f(a):\n    return np.linalg.norm(a)") != one("def f(a):\n    return np.linalg.det(a)")
    assert one("def f(a):\n    return a / 2") != one("def f(a):\n    return a / 3")
    assert one("def f(a):\n    'doc'\n    return a") == one("def f(a):\n    return a")


def test_the_course_index_is_the_installed_course_code_without_the_grading_machinery():
    index = copies.course_index()
    names = {q for q, _h, _s in index["functions"]}
    assert "course_utils.backprop.backward_propagation_deep" in names
    assert "course_utils.grading.specs.nb05._directional_case" in names
    assert not any(q.startswith("course_utils.grading.") and ".specs." not in q for q in names)
    assert copies.course_index() is index  # computed once per process


@pytest.mark.parametrize("reply", [None, "x", [1, 2], [{"name": "f", "hash": 3, "size": 500, "parts": []}],
                                   [{"name": "f", "hash": "ab", "size": 500, "parts": [["ab", "9", -1], 7]}]])
def test_a_malformed_parser_reply_flags_nothing_and_does_not_raise(reply):
    assert copies.copy_flags(reply, "x") == []


def test_the_parser_process_replies_with_the_fingerprints():
    source = (PASTES / "dc_paste.py").read_text(encoding="utf-8")
    answer = scan_process._PARSER.ask({"text": source, "aliases": {}}, scan_process.PARSE_TIMEOUT)
    assert answer["flags"] == []
    assert answer["functions"] == copies.fingerprint_source(source)


def test_a_flagged_paste_magics_and_all_keeps_the_other_flags():
    source = "%time\n" + (PASTES / "dc_paste.py").read_text(encoding="utf-8") + "\nimport subprocess\n"
    flags = flags_of(source, "directional_check")
    assert any(f.startswith("imports subprocess") for f in flags)
    assert any("looks copied" in f for f in flags)


def test_code_of_its_own_added_around_a_paste_does_not_hide_it():
    """The cell's share drops below MIN_SHARE, but the pasted function alone is still mostly the course's."""
    own = "\n\n".join(f"def helper_{i}(values):\n" + LIBRARY_CALLS.split(":", 1)[1].replace('"""The same', '"""A')
                      for i in range(3))
    source = (PASTES / "bpn_paste.py").read_text(encoding="utf-8") + "\n\n" + own
    found = copies.matches(scan_process._scan_and_fingerprint(source, {})[1])
    assert sum(f[1] for f in found) < copies.MIN_SHARE * sum(f[2] for f in found)
    [reason] = copy_reasons(source, "backward_propagation_n")
    assert "course_utils.backprop.backward_propagation_deep" in reason


def test_a_large_cell_is_fingerprinted_within_the_parsers_limits():
    """Parts nest, so deep code costs more to fingerprint: MAX_WORK and MAX_PARTS bound the parser's work and
    its reply (MAX_REPLY), and the cell is scanned, not timed out."""
    source = "def f(a):\n" + "".join(f"    x{i} = " + " + ".join(["a"] * 60) + "\n" for i in range(400))
    assert len(source) < 100_000
    fps = scan_process._scan_and_fingerprint(source, {})[1]
    assert sum(len(f["parts"]) for f in fps) <= copies.MAX_PARTS
    assert len(json.dumps({"flags": [], "functions": fps})) < scan_process.MAX_REPLY
    assert flags_of(source) == []


def test_the_grader_names_the_exercise_in_the_flag(tmp_path):
    """grading.prepare() scans each exercise cell with its exercise's name: the reason an instructor reads."""
    from course_utils import grading

    name = "04_check_an_nd_gradient.ipynb"
    nb = json.loads((ROOT / "solutions" / name).read_text(encoding="utf-8"))
    [cell] = [c for c in nb["cells"] if c.get("id") == "ex-block-differences"]
    cell["source"] = (PASTES / "bd_paste.py").read_text(encoding="utf-8")
    path = tmp_path / "student" / name
    path.parent.mkdir()
    path.write_text(json.dumps(nb), encoding="utf-8")
    release = grading.load_release(ROOT / "notebooks")
    [sub] = grading.find_submissions([path], release)
    job = grading.prepare(sub, release.notebooks[name], path, release)
    [reason] = job.flags["block_differences"]
    assert reason.startswith("exercise block_differences looks copied from course_utils.")
    assert "course_utils.expect.nb04.expected_block_differences" in reason
    assert all(not flags for exercise, flags in job.flags.items() if exercise != "block_differences"), job.flags
