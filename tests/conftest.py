"""Markers of the test suite, by module (pyproject.toml registers them; --strict-markers refuses any other).

    pytest                      # everything: what CI runs (README)
    pytest -m "not slow"        # the inner loop: every unit test of the library, the checks and the grader's logic

slow      -- runs kernels, notebooks, the grader end to end, pip or a browser
sandbox   -- needs bubblewrap; fails without it, here as in CI (install it: README "Run the tests")
browser   -- needs Debian's Chromium and Playwright
notebooks -- executes the course's notebooks

A module listed here carries its markers on every test; a module not listed marks its own slow tests.
"""
import pytest

MODULE_MARKERS = {
    "test_browser": ("slow", "browser", "notebooks"),
    "test_grade": ("slow", "sandbox", "notebooks"),
    "test_grading_attacks": ("slow", "sandbox", "notebooks"),
    "test_grading_attacks_course": ("slow", "sandbox", "notebooks"),
    "test_grading_platforms": ("slow", "sandbox", "notebooks"),
    "test_grading_sandbox": ("slow", "sandbox"),
    "test_notebooks": ("slow", "notebooks"),
    "test_portability": ("slow", "notebooks"),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        for name in MODULE_MARKERS.get(item.module.__name__.rpartition(".")[2], ()):
            item.add_marker(getattr(pytest.mark, name))
