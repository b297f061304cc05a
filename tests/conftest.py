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
import os
import sys

import pytest

# jsonschema (which nbformat imports) imports rfc3987_syntax, when installed, for the "iri" string format, which no
# notebook schema uses, at about a second of CPU in every test process; the grader's own nbval runs leave it out too
# (course_utils.grading.run.without_rfc3987)
sys.modules.setdefault("rfc3987_syntax", None)

MODULE_MARKERS = {
    "test_browser": ("slow", "browser", "notebooks"),
    "test_grade": ("slow", "sandbox", "notebooks"),
    "test_grading_attacks": ("slow", "sandbox", "notebooks"),
    "test_grading_attacks_course": ("slow", "sandbox", "notebooks"),
    "test_grading_platforms": ("slow", "sandbox", "notebooks"),
    "test_grading_sandbox": ("slow", "sandbox"),
    "test_grading_verify": ("slow",),
    "test_notebooks": ("slow", "sandbox", "notebooks"),
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
    "test_delivery::test_gradescope_full_marks_zero_and_absent_in_one_submission": ("slow", "sandbox", "notebooks"),
    "test_grading_report::test_cli_writes_every_output_for_the_fixture_solutions": ("slow",),
    "test_grading_report::test_feedback_page_of_a_graded_student_reads_well": ("slow",),
    "test_grading_report::test_feedback_page_in_a_browser_shows_student_text_as_text": ("slow", "browser"),
    "test_grading_fast_paths::test_a_verification_run_ends_once_no_call_left_can_change_a_verdict": ("slow",),
    "test_grading_fast_paths::test_the_font_cache_is_built_once_per_grader_process": ("slow",),
}

# parametrized cases by the start of their id: checking a gradient_check_n runs the student's loop on deep nets
SLOW_CASES = {
    "test_catalog_nb04::test_entry_check[gradient_check_n-": ("slow",),
    "test_checks::test_solution_passes_with_stable_line[gradient_check_n": ("slow",),
}


# How the whole suite is shared by pytest-xdist's workers (--dist loadscope: a scope's tests run in one worker, where
# they share its module fixtures). Scopes are handed out longest first, so that no long scope starts last and keeps
# one worker busy while the others idle (pytest-xdist would hand out the scopes with the most tests first: the
# long modules of a few tests came last). SCOPE_SECONDS holds the long ones: the seconds their tests took in a full
# run on the 2-core development machine (rough is enough; a scope not listed counts 0 and keeps the collection's
# order; "@name" is a SHARED_SCOPE). OWN_SCOPE names long tests that use no module fixture: each is a scope of its
# own, which another worker can run beside its module's other tests; tests that name the same scope share it (and a
# module fixture only they use). A renamed test simply goes back to its module's scope.
SCOPE_SECONDS = {  # a full run of 2026-12-06, 3 workers (benchmarks/bench_suite.py --from-durations)
    "@course_class": 107, "test_grade": 63, "test_grading_attacks": 62, "test_browser": 56,
    "test_portability::environments": 52, "test_catalog_nb06::verification": 32, "test_grading_platforms": 30,
    "test_catalog_nb04::verification": 27, "test_grading_platforms::budget": 25, "test_grading_verify": 25,
    "test_delivery": 24, "test_portability": 23, "test_catalog_nb03": 21, "test_catalog_nb01": 18,
    "test_grading_attacks_course::bounded": 17, "test_grading_attacks_course::complex_step": 15,
    "test_release_answers": 15, "test_grading_report": 15, "test_delivery::gradescope": 14, "test_widgets": 13,
    "test_catalog_nb04": 12, "test_grading_attacks::two_runs": 9, "test_grading_sandbox": 8, "test_catalog_nb05": 7,
    "test_capstone": 6, "test_build": 6, "test_catalog_nb06": 5, "test_checks": 4, "test_grading_fast_paths": 4,
    "test_mistakes_engine": 4
}
OWN_SCOPE = {
    "test_catalog_nb04::test_entry_verification": "verification",
    "test_catalog_nb06::test_entry_verification": "verification",
    "test_delivery::test_gradescope_full_marks_zero_and_absent_in_one_submission": "gradescope",
    "test_grading_platforms::test_a_time_budget_reports_what_was_graded_and_times_out_the_rest": "budget",
    "test_grading_attacks::test_two_grading_runs_do_not_share_a_sandbox": "two_runs",
    "test_grading_attacks_course::test_a_submission_costs_the_grader_bounded_time_and_memory_and_the_batch_is_graded":
        "bounded",
    "test_grading_attacks_course::test_a_numerical_backward_pass_is_stopped_on_the_large_network_and_told_why":
        "complex_step",
    "test_portability::test_every_compared_output_is_the_same_in_another_numerical_environment": "environments",
}

# Tests of several modules that read one result of tests/shared_runs.py (a module, or module::test): one scope, so
# that one worker computes the result and no other waits for it (the file lock would make it wait).
SHARED_SCOPE = {
    "test_grade::test_the_course_solutions_get_full_marks_the_release_zero_and_the_courses_own_answers_nothing":
        "course_class",
    "test_grading_attacks::test_the_course_answer_is_out_of_reach_in_the_real_course": "course_class",
    "test_grading_attacks::test_the_courses_own_centered_differences_earn_nothing": "course_class",
    "test_grading_attacks_course": "course_class",  # every test of the module but those with an OWN_SCOPE
    "test_notebooks::test_perfect_submission_passes_strict_nbval": "course_class",
    "test_notebooks::test_untouched_release_fails_exactly_at_its_exercises": "course_class",
}


def scope_of(nodeid):
    """The loadscope scope of a test: its OWN_SCOPE, else its SHARED_SCOPE ("@name"), else its module (or class, as
    pytest-xdist has it)."""
    path, _, rest = nodeid.partition("::")
    module = path.rpartition("/")[2].removesuffix(".py")
    name = rest.partition("[")[0]
    own = OWN_SCOPE.get(f"{module}::{name}")
    if own:
        return f"{path}::@{own}"
    shared = SHARED_SCOPE.get(f"{module}::{name}") or SHARED_SCOPE.get(module)
    return f"@{shared}" if shared else nodeid.rsplit("::", 1)[0]


def scope_seconds(scope):
    if scope.startswith("@"):
        return SCOPE_SECONDS.get(scope, 0)
    path, _, own = scope.partition("::@")
    module = path.rpartition("/")[2].removesuffix(".py")
    return SCOPE_SECONDS.get(f"{module}::{own}" if own else module, 0)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """-n auto: three workers for two cores. Much of the suite waits rather than computes -- kernels that start,
    sandboxed cells that sleep or are cut at a time limit, a browser that settles -- and a third worker fills those
    waits: on the 2-core machine the full suite took 454 s with 2 workers, 341 to 379 s with 3 (the cores 98 % busy,
    vmstat) and 349 s with 4 (no better). PYTEST_XDIST_AUTO_NUM_WORKERS still decides when set; at most 8 workers
    (each grades with kernels of its own; the cores a container may use can be fewer than the host's)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return int(os.environ["PYTEST_XDIST_AUTO_NUM_WORKERS"])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(8, max(2, cores + (cores + 1) // 2))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadscope with the scopes of scope_of (pytest-xdist's own scheduler otherwise)."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return scope_of(nodeid)

        def _reschedule(self, node):
            """A worker gets its next scope only when its last test is due to start (it waits to know the test after
            it), not while two of its tests are left: a long test then holds back no scope another worker could run."""
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) <= 1:
                self._assign_work_unit(node)

    return Scheduling(config, log)


def pytest_configure(config):
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist would hand out the scopes with most tests first
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: -scope_seconds(scope_of(item.nodeid)))  # stable: the longest scopes first
    for item in items:
        module = item.module.__name__.rpartition(".")[2]
        names = MODULE_MARKERS.get(module, ()) + SLOW_TESTS.get(f"{module}::{item.originalname}", ())
        names += sum((marks for case, marks in SLOW_CASES.items() if f"{module}::{item.name}".startswith(case)), ())
        for name in dict.fromkeys(names):
            item.add_marker(getattr(pytest.mark, name))
