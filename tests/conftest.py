"""Markers of the test suite, by module (pyproject.toml registers them; --strict-markers refuses any other).

    pytest                      # everything: what CI runs (README)
    pytest -m "not slow"        # the inner loop: every unit test of the library, the checks and the grader's logic

slow      -- runs kernels, notebooks, the grader end to end, pip or a browser
sandbox   -- needs bubblewrap; fails without it, here as in CI (install it: README "Run the tests")
browser   -- needs Debian's Chromium and Playwright
notebooks -- executes the course's notebooks

A module listed in MODULE_MARKERS carries its markers on every test; SLOW_TESTS names the slow tests of the
other modules (module::test, parametrized tests by their function's name), SLOW_CASES slow parametrized cases.
"""
import pytest

MODULE_MARKERS = {
    "test_browser": ("slow", "browser", "notebooks"),
    "test_grade": ("slow", "sandbox", "notebooks"),
    "test_grading_attacks": ("slow", "sandbox", "notebooks"),
    "test_grading_attacks_course": ("slow", "sandbox", "notebooks"),
    "test_grading_platforms": ("slow", "sandbox", "notebooks"),
    "test_grading_sandbox": ("slow", "sandbox"),
    "test_grading_verify": ("slow",),
    "test_notebooks": ("slow", "notebooks"),
    "test_portability": ("slow", "notebooks"),
    "test_release_answers": ("slow",),
}

SLOW_TESTS = {
    "test_build::test_build_twice_gives_identical_bytes": ("slow", "notebooks"),
    "test_build::test_build_fails_clearly_on_a_raising_cell_and_on_stderr": ("slow",),
    "test_build::test_build_output_is_clean": ("slow", "notebooks"),
    "test_checks::test_gradient_check_n_mistakes": ("slow",),
    "test_catalog_nb06::test_a_wrong_or_missing_id_in_the_submission_fails_every_answer_that_needs_it": ("slow",),
    "test_delivery::test_self_check_and_classroom_step_in_student_release": ("slow", "notebooks"),
    "test_delivery::test_saved_outputs_do_not_count_against_dot_release": ("slow", "notebooks"),
    "test_delivery::test_gradescope_full_marks_and_zero": ("slow", "sandbox", "notebooks"),
    "test_grading_report::test_cli_writes_every_output_for_the_fixture_solutions": ("slow",),
    "test_grading_report::test_feedback_page_of_a_graded_student_reads_well": ("slow",),
    "test_grading_report::test_feedback_page_in_a_browser_shows_student_text_as_text": ("slow", "browser"),
}

# parametrized cases by the start of their id: checking a gradient_check_n runs the student's loop on deep nets
SLOW_CASES = {
    "test_catalog_nb04::test_entry_check[gradient_check_n-": ("slow",),
    "test_checks::test_solution_passes_with_stable_line[gradient_check_n": ("slow",),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        module = item.module.__name__.rpartition(".")[2]
        names = MODULE_MARKERS.get(module, ()) + SLOW_TESTS.get(f"{module}::{item.originalname}", ())
        names += sum((marks for case, marks in SLOW_CASES.items() if f"{module}::{item.name}".startswith(case)), ())
        for name in dict.fromkeys(names):
            item.add_marker(getattr(pytest.mark, name))
