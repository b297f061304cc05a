"""What a failing check shows a student in IPython (the kernel of JupyterLab): only what helps.

The check's verdict shows as its message alone; an error in the student's code shows the student's own
frames; a stub is one short line. No line of course_utils' source (which could state the answer) appears.
"""
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output


@pytest.fixture(scope="module")
def shell():
    return InteractiveShell.instance(colors="nocolor")


def shown(shell, exercise_cell, check_cell):
    shell.run_cell(exercise_cell)
    with capture_output() as out:
        shell.run_cell(check_cell)
    return out.stdout


CHECK = "from course_utils.checks import check_centered_difference\ncheck_centered_difference(centered_difference)"


def test_a_wrong_answer_shows_the_message_alone(shell):
    text = shown(shell, "def centered_difference(f, x, epsilon):\n    return (f(x + epsilon) - f(x)) / (2 * epsilon)",
                 CHECK)
    assert text.startswith("AssertionError: centered_difference(")
    assert "Most likely:" in text
    assert "course_utils" not in text and "Traceback" not in text and "def " not in text


def test_an_error_in_the_students_code_shows_the_students_frame(shell):
    text = shown(shell, "def centered_difference(f, x, epsilon):\n    return f(x).no_such_attribute", CHECK)
    assert "AttributeError" in text and "return f(x).no_such_attribute" in text  # the student's own line
    assert "course_utils/" not in text and "_common" not in text  # only the check cell names the package


def test_a_stub_is_one_short_line(shell):
    text = shown(shell, "def centered_difference(f, x, epsilon):\n    raise NotImplementedError('write it')", CHECK)
    assert text == "NotImplementedError: centered_difference is not written yet: write it\n"


def test_the_grader_still_sees_an_assertion_error(shell):
    from course_utils.checks import check_centered_difference

    def wrong(f, x, epsilon):
        return 0.0
    with pytest.raises(AssertionError) as info:
        check_centered_difference(wrong)
    assert type(info.value).__name__ == "AssertionError"


def test_a_right_function_that_prints_fails_with_the_graders_words(shell):
    from course_utils.grading import cells

    text = shown(shell, "def centered_difference(f, x, epsilon):\n    print('debug', x)\n"
                        "    return (f(x + epsilon) - f(x - epsilon)) / (2 * epsilon)", CHECK)
    assert " ".join(text.split()).startswith("AssertionError: centered_difference gives the right results, but it "
                                             "also printed 'debug")
    assert " ".join(cells.PRINTS_ADVICE.split()) in " ".join(text.split())  # judge.py's words too (test_grade.py)


def test_the_readme_shows_a_real_failure_as_a_student_sees_it(shell):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- check-example:start -->")[1].split("<!-- check-example:end -->")[0]
    code, output = re.findall(r"```(?:python)?\n(.*?)```", block, flags=re.S)
    assert shown(shell, code, CHECK) == output


def test_a_long_message_is_shown_wrapped_at_word_boundaries(shell):
    """JupyterLab breaks an output line anywhere, inside a number or a word: the check wraps its message itself."""
    from course_utils.checks._common import WIDTH

    text = shown(shell, "def centered_difference(f, x, epsilon):\n    return (f(x + epsilon) - f(x)) / (2 * epsilon)",
                 CHECK)
    assert all(len(line) <= WIDTH for line in text.splitlines()), text
    assert "12.000001." in text.split() and "6.0030005," in text.split()  # numbers whole
