"""Tests of course_utils/compare.py, the one comparison the checks and the verification run share."""
import numpy as np
import pytest

from course_utils import compare
from course_utils.checks import _common
from course_utils.grading import verify


def test_checks_and_verification_decide_with_the_same_functions():
    assert verify.close_number is compare.close_number and verify.close_array is compare.close_array
    assert _common.within is compare.within


@pytest.mark.parametrize("got, want, rtol, atol, expected", [
    (1.0, 1.0 + 1e-12, 1e-9, 0.0, True), (1.0, 1.1, 1e-9, 0.0, False), (float("nan"), 1.0, 1e-9, 1.0, False),
    (float("inf"), float("inf"), 1e-9, 0.0, False), (1e-10, 0.0, 0.0, 1e-9, True), (2e-9, 0.0, 0.0, 1e-9, False),
])
def test_within_numbers(got, want, rtol, atol, expected):
    assert compare.within(got, want, rtol, atol) is expected


def test_within_arrays_elementwise_and_messages():
    got, want = np.array([1.0, 2.0, np.nan]), np.array([1.0, 2.5, 3.0])
    assert compare.within(got, want).tolist() == [True, False, False]
    assert compare.close_array(got, want) == "returned an array with non-numbers or non-finite values"
    assert compare.close_array(np.array([1.0, 2.0]), np.array([1.0, 2.5])) == \
        "returned an array whose entry (1,) is 2, expected 2.5"
    assert compare.close_array(np.zeros((2, 1)), np.zeros(2)) == "returned an array of shape (2, 1), expected shape (2,)"
    assert compare.close_number(True, 1.0) == "returned a bool, expected a number close to 1"
    assert compare.close_number(np.array([[3.0]]), 3.0) is None


def test_noise_bound_scales_with_the_values_and_the_step():
    assert compare.noise_bound(1.0, 1e-7) == pytest.approx(16 * np.finfo(float).eps / 1e-7)
    assert compare.noise_bound(100.0, 1e-7) == pytest.approx(100 * compare.noise_bound(1.0, 1e-7))
