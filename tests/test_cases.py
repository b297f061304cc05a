"""course_utils/expect/cases.py: the one random-network generator of the checks' and the specs' cases."""
import numpy as np
import pytest

from course_utils import network
from course_utils.expect.cases import random_net


@pytest.mark.parametrize("m", [1, 2, 7])
def test_random_net_has_the_sizes_asked_for_both_labels_and_is_reproducible(m):
    X, Y, parameters = random_net(np.random.default_rng(3), m, [4, 5, 3, 1])
    assert X.shape == (4, m) and Y.shape == (1, m) and Y.dtype == np.int64
    assert [parameters[k].shape for k in ("W1", "b1", "W2", "b2", "W3", "b3")] == \
        [(5, 4), (5, 1), (3, 5), (3, 1), (1, 3), (1, 1)]
    assert Y[0, :2].tolist() == [0, 1][:m]
    again = random_net(np.random.default_rng(3), m, [4, 5, 3, 1])
    assert all(np.array_equal(a, b) for a, b in zip((X, Y, *parameters.values()), (again[0], again[1],
                                                                                    *again[2].values())))
    cost, _ = network.forward_propagation_n(X, Y, parameters)
    assert np.isfinite(cost)


def test_random_net_scales_the_data_as_asked():
    rng = np.random.default_rng(0)
    spreads = [random_net(rng, 400, [4, 2, 1], x_scale=(2.0, 2.0))[0].std() for _ in range(5)]
    assert all(1.8 < s < 2.2 for s in spreads), spreads
