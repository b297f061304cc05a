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
    return "\n".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                     for output in cell.get("outputs", []) if output.get("output_type") == "stream")


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
