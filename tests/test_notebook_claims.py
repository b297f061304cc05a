"""Numbers that the prose of every notebook states must be printed by a cell of the same notebook.

Every decimal number in a markdown cell ("0.0024", "3.81", "5.4\\times10^{8}", "9\\times10^{-10}") must
appear, as a whole number, in the stored outputs of the release notebook (as Python prints it: "0.0024",
"3.81", "5.4e+08", "9e-10"), or be a setting written in a code cell ("lambd = 0.7", "3e-8"), so that no
result is pasted into the prose and left behind when the code changes. Plain powers of ten ($10^{-7}$:
thresholds, ranges, epsilons) and integers are not checked. The release's outputs are the build's
(tests/test_build.py checks they are up to date).
"""
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["00_start_here", "01_approximate_a_derivative", "02_check_a_1d_gradient",
             "03_flatten_parameters_into_one_vector", "04_check_an_nd_gradient", "05_gradient_checking_in_practice",
             "06_hunt_the_bugs"]

#: a decimal number, optionally times a power of ten in LaTeX (0.0024, 1.19\times10^{-7}), or an
#: integer times a power of ten (9\times10^{-10})
NUMBER = re.compile(r"(?<![\w.^{-])(\d+\.\d+|\d+(?=\s*\\times))(?:\s*\\times\s*10\^\{(-?\d+)\})?")

#: numbers the prose may state without printing them, with the reason
NOT_PRINTED = {}


def printed_text(nb):
    """What the cells print: stream outputs, and the reference output of every check cell (the release keeps it in
    the cell's metadata, so that an unrun check shows nothing)."""
    return "\n".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for output in list(cell.get("outputs", [])) + list(cell.metadata.get("course", {}).get("outputs", []))
                     if output.get("output_type") == "stream")


def code_text(nb):
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")


def contains(text, form):
    """Whether `form` occurs in `text` as a whole number (0.7 is not in 0.71, 3e-06 not in 3e-061)."""
    return re.search(r"(?<![\d.])" + re.escape(form) + r"(?![\d])", text) is not None


def stated_numbers(nb):
    """(cell id, number as written, the ways a cell prints it) for every decimal number of the prose."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for match in NUMBER.finditer(cell.source):
            mantissa, exponent = match.groups()
            if exponent is None:
                forms = [mantissa]
            else:  # as Python prints it, and as a setting is typed in code
                forms = [f"{mantissa}e{int(exponent):+03d}", f"{mantissa}e{int(exponent)}"]
            yield cell.id, match.group(0), forms


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_numbers_in_the_prose_are_printed(name):
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    printed, code = printed_text(nb), code_text(nb)
    missing = [(cell_id, number) for cell_id, number, forms in stated_numbers(nb)
               if (name, number) not in NOT_PRINTED
               and not any(contains(printed, form) or contains(code, form) for form in forms)]
    assert not missing, f"{name}: numbers stated in the prose but printed by no cell: {missing}"


def test_the_pattern_finds_the_numbers_it_must_check():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        r"A difference of 0.0024; $5.4\times10^{8}$, $1.19 \times 10^{-7}$, $9\times10^{-10}$; not $10^{-7}$ nor 47.")])
    assert [forms for _, _, forms in stated_numbers(nb)] == [
        ["0.0024"], ["5.4e+08", "5.4e8"], ["1.19e-07", "1.19e-7"], ["9e-10", "9e-10"]]
    assert contains("difference 0.71", "0.71") and not contains("difference 0.71", "0.7")


# ----------------------------------------------------------------------------------------------------------
# Claims the prose makes about the course itself (each test catches a kind of mistake the notebooks once made)

SOLUTIONS = ROOT / "solutions"


def release(name):
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def test_the_prose_about_check_cells_matches_the_release():
    """00 once said every check cell "already shows" its passed line: in the release every check cell is empty."""
    for name in NOTEBOOKS:
        for cell in release(name).cells:
            if "check" in cell.metadata.get("tags", []):
                assert cell.outputs == [] and cell.execution_count is None, (name, cell.id)
    text = " ".join(cell.source for cell in release(NOTEBOOKS[0]).cells if cell.cell_type == "markdown")
    assert "shows nothing until you run it" in " ".join(text.split())
    assert "already shows" not in text


# Which of the colleague's tensors are wrong, and by what factor, is for the student's own cells to show (they
# are tagged student-output: the release stores none of their output). Nothing else the student reads in 04 --
# prose, a stored output, a check's passed line, an exercise's stub -- may say it.
COLLEAGUE_ANSWER = [r"\bW2 and b1\b", r"\bb1 and W2\b", r"\bW2\W{1,4}0\.33", r"\bb1\W{1,4}0\.6\b", r"\bW2\b[^.\n]{0,12}1/3",
                    r"\bb1\b[^.\n]{0,12}3/5", r"'b1': 4\b", r"'W2': 2\b", r"\bW2 2 times", r"\bb1 4 times", r"dW2_times_2",
                    r"db1_4_over_m", r"\['b1', 'W2'\]", r"stray `\* 2`", r"4\./m", r"norm ratio of `?W2`? is 2",
                    r"the lines that compute `?dW2`? and `?db1`?", r"dW2 and db1"]


def _what_the_student_reads(nb):
    """(where, text) of every markdown cell, stored output, check reference output and exercise stub."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            yield cell.id, cell.source
            continue
        tags = cell.metadata.get("tags", [])
        outputs = list(cell.get("outputs", [])) + list(cell.metadata.get("course", {}).get("outputs", []))
        for output in outputs:
            text = output.get("text", "") + output.get("data", {}).get("text/plain", "")
            yield f"{cell.id} (output)", text
        if "exercise" in tags:
            yield f"{cell.id} (stub)", cell.source
        assert "student-output" not in tags or not cell.get("outputs"), cell.id  # the build strips them


def test_notebook_04_tells_no_answer_before_the_students_own_cells_do():
    found = [(where, pattern) for where, text in _what_the_student_reads(release("04_check_an_nd_gradient"))
             for pattern in COLLEAGUE_ANSWER if re.search(pattern, text)]
    assert not found, found


def test_the_colleague_answer_patterns_catch_what_04_once_said():
    once = ["Two tensors stand out, `W2` at $1/3$ and `b1` at $3/5$",
            "block_differences passed: W2 0.33 and b1 0.6 in the colleague's pass",
            "diagnose passed: b1 4 times and W2 2 times as big as the numerical gradient",
            "dW2 still has the stray `* 2`: dW2 = 1./m * np.dot(dZ2, A1.T).",
            "suspects: ['b1', 'W2']", "block differences: W1 < 1e-6, b1 0.6, W2 0.33",
            'how a per-tensor view turns "something is wrong" into "W2 and b1 are wrong"',
            "the norm ratio of `W2` is 2 and that of `b1` is 4"]
    for text in once:
        assert any(re.search(pattern, text) for pattern in COLLEAGUE_ANSWER), text


def _run_cells(nb, ids, namespace):
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.id in ids:
            exec(compile(cell.source, f"<{cell.id}>", "exec"), namespace)  # noqa: S102


def _solution_source(nb, cell_id):
    return next(c.source for c in nb.cells if c.id == cell_id)


def test_notebook_04_tools_run_in_06_as_its_prose_says(capsys):
    """06 tells the student to copy gradient_check_n, block_differences and diagnose from 04 and call them with J;
    they must run there (06's Setup imports the vector helpers they use) and find the teammate's wrong tensors."""
    from course_utils.checks import nb06

    nb06_solution = nbformat.read(SOLUTIONS / "06_hunt_the_bugs.ipynb", as_version=4)
    nb04_solution = nbformat.read(SOLUTIONS / "04_check_an_nd_gradient.ipynb", as_version=4)
    namespace = {"__name__": "__main__"}
    _run_cells(nb06_solution, {"setup", "demo-network", "ex-student-id", "demo-teammate", "demo-cost"}, namespace)
    for exercise in ("ex-gradient-check-n", "ex-block-differences", "ex-diagnose"):
        exec(compile(_solution_source(nb04_solution, exercise), exercise, "exec"), namespace)  # noqa: S102
    exec(compile("gradients = teammate_backward(X, Y, cache)\n"  # noqa: S102
                 "difference, gradapprox = gradient_check_n(J, parameters, gradients)\n"
                 "theta, keys = dictionary_to_vector(parameters)\n"
                 "found = diagnose(gradients_to_vector(gradients), gradapprox, keys)\n", "<student>", "exec"), namespace)
    code = namespace["student_id"]()  # the capstone code: the truth is that of its teammate's network
    assert sorted(namespace["found"]) == sorted(nb06.truth_wrong_tensors(code))


def test_every_teammate_pass_has_its_wrong_tensors_far_above_1e_5_and_the_right_ones_far_below():
    """06's prose: "whatever your teammate, every wrong tensor's block difference is far above 1e-5 and every right one
    far below" -- over all 522 teammates of the release (teammates.variant(n): two planted lines, and its network's
    slope), each checked on its own network as the student's gradient check sees it. Only what is needed is computed:
    the centered differences of J (check_gradients' gradapprox) and the exact gradients depend on the slope alone,
    once per slope; per teammate, its pass runs once and its block differences follow."""
    from course_utils import capstone
    from course_utils.checks import nb06
    from course_utils.gradcheck import check_gradients, relative_difference
    from course_utils.grading import teammates
    from course_utils.vectors import gradients_to_vector

    X, Y, parameters = capstone.capstone_test_case()
    per_slope = {}
    for slope in teammates.SLOPES:
        _, cache = capstone.forward_propagation(X, Y, parameters, slope)
        exact = nb06.exact_gradients(X, Y, parameters, slope)
        reference = check_gradients(capstone.cost_function(X, Y, slope), parameters, exact)
        assert max(reference.block_differences.values()) < 1e-7  # the centered differences are good to round-off
        per_slope[slope] = (cache, exact, reference)
    wrong_low, right_high = np.inf, 0.0
    for number in range(teammates.N_VARIANTS):
        mate = teammates.variant(number)
        cache, exact, reference = per_slope[mate.slope]
        gradients = nb06.teammate_gradients(mate, X, Y, cache)
        grad = gradients_to_vector(gradients, parameters).ravel()
        keys = np.asarray(reference.keys)
        blocks = {name: relative_difference(grad[keys == name], reference.gradapprox[keys == name])
                  for name in capstone.PARAMETER_NAMES}  # as check_gradients computes them, from its gradapprox
        wrong = {name for name in capstone.PARAMETER_NAMES
                 if relative_difference(gradients["d" + name], exact["d" + name]) > nb06.WRONG}
        if number % 29 == 0:  # the same truth as the checks' (which recompute everything per call)
            assert wrong == set(nb06.truth_wrong_tensors(mate)), number
            assert blocks == pytest.approx(check_gradients(capstone.cost_function(X, Y, mate.slope), parameters,
                                                           gradients).block_differences, rel=1e-9), number
        assert wrong, number  # every teammate has a wrong tensor
        wrong_low = min([wrong_low] + [d for name, d in blocks.items() if name in wrong])
        right_high = max([right_high] + [d for name, d in blocks.items() if name not in wrong])
    assert wrong_low > 1e-2 and right_high < 1e-7, (wrong_low, right_high)  # 1e-5 is 3 decades from both


def test_the_teammates_lines_are_written_in_several_styles_as_06_says():
    """06's section 3: "Its lines are written in several equivalent numpy styles (`np.dot(A, B)` or `A @ B`,
    `np.sum(...) / m` or `np.mean(...)`), so a line written unlike its neighbours is not wrong for that" -- in the
    solution's teammate (code ada-lovelace:200:..., wrong tensors W1, b1, wrong lines dA1, dZ1) the lines of one kind
    do not all read alike, and over the 522 teammates every style named there occurs (tests/test_capstone.py checks
    that every form of a line computes the same values)."""
    import re

    from course_utils import capstone
    from course_utils.checks import nb06
    from course_utils.grading import teammates

    solution = nbformat.read(SOLUTIONS / "06_hunt_the_bugs.ipynb", as_version=4)
    prose = " ".join(next(c.source for c in solution.cells if c.source.startswith("## 3.")).split())
    assert "several equivalent numpy styles (`np.dot(A, B)` or `A @ B`, `np.sum(...) / m` or `np.mean(...)`)" in prose
    code = nb06._literal_id(_solution_source(solution, "ex-student-id"))
    mate = capstone.teammate(code)
    assert (nb06.truth_wrong_tensors(code), sorted(teammates.truth_buggy_lines(mate))) == (["W1", "b1"], ["dA1", "dZ1"])
    lines = dict(re.findall(r"^\s*(d[Wb]\d) = (.*?)\s*$", mate.source, re.MULTILINE))
    for kind in ("dW", "db"):
        shapes = {re.sub(r"\b(?:d?[A-Z]|d[ZA])\d\b|\bX\b", "_", rhs) for name, rhs in lines.items() if name.startswith(kind)}
        assert len(shapes) > 1, (kind, lines)
    texts = "\n".join(teammates.variant(n).source for n in range(teammates.N_VARIANTS))
    for style in (r"np\.dot\(", r"\w @ \w", r"np\.sum\(.*\) / m", r"np\.mean\("):
        assert re.search(style, texts), style


def test_the_float32_warning_says_what_happens():
    """05 and the checker's warning once blamed a perturbation "below float32's resolution": at 1e-7 no parameter of
    05's float32 run rounds back to itself; what happens is that J changes by less than float32's rounding. The data
    X, which no check perturbs, gets no warning."""
    import warnings

    from course_utils import _validate
    from course_utils.fastcost import NetworkCost
    from course_utils.network import initialize_parameters

    parameters = {k: v.astype(np.float32) for k, v in initialize_parameters([4, 5, 3, 1], seed=1).items()}
    for value in parameters.values():
        assert np.all(np.float32(value + np.float32(1e-7)) != value)
        assert np.all(np.float32(value - np.float32(1e-7)) != value)
    assert "resolution" not in _validate.FLOAT32_WARNING and "round to the same" in _validate.FLOAT32_WARNING
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        X = np.random.default_rng(0).standard_normal((4, 20)).astype(np.float32)
        NetworkCost(X, (np.arange(20) % 2).astype(np.float32))
        _validate.as_float_array(X, "X")
    assert not caught, [str(w.message) for w in caught]
    printed = " ".join(printed_text(release("05_gradient_checking_in_practice")).split())
    assert _validate.FLOAT32_WARNING.format(name="parameters['W1']") in printed and "resolution" not in printed


def test_a_term_an_output_uses_is_introduced_by_the_prose_first():
    """06 once printed a docstring about complex-step derivatives that no sentence introduced."""
    for name in NOTEBOOKS:
        first_md, first_out = None, None
        for index, cell in enumerate(release(name).cells):
            texts = [cell.source] if cell.cell_type == "markdown" else \
                [o.get("text", "") for o in cell.get("outputs", [])]
            if any("complex-step" in t or "complex step" in t for t in texts):
                if cell.cell_type == "markdown":
                    first_md = index if first_md is None else first_md
                else:
                    first_out = index if first_out is None else first_out
        if first_out is not None:
            assert first_md is not None and first_md <= first_out + 1, name
