"""Benchmark: the batched gradient check vs the classic one-entry-at-a-time loop.

    python benchmarks/bench_gradcheck.py            # full loop over all ~59k entries (about a minute or two)
    python benchmarks/bench_gradcheck.py --quick    # loop on a random subset, extrapolated

Network [100, 256, 128, 1] with 128 examples (58,881 parameters). The fast path is
check_gradients(NetworkCost(X, Y), parameters, gradients); the classic loop copies theta, perturbs
one entry, rebuilds the dictionary with vector_to_dictionary and runs forward_propagation_deep,
twice per entry, as the original assignment does. Both run in the same process, side by side,
alternating, a few times each (other processes share the CPU: the best times are compared).
"""
import argparse
import time

import numpy as np

from course_utils.gradcheck import check_gradients
from course_utils.network import NetworkCost, forward_propagation_deep, initialize_parameters
from course_utils.vectors import dictionary_to_vector, parameter_shapes, vector_to_dictionary

LAYERS = [100, 256, 128, 1]
M = 128
EPSILON = 1e-7
TARGET = 20.0


def make_case(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((LAYERS[0], M))
    Y = (rng.random(M) < 0.5).astype(float)
    parameters = initialize_parameters(LAYERS, seed=seed)
    cost = NetworkCost(X, Y)
    return X, Y, parameters, cost, cost.gradients(parameters)


def classic_loop(X, Y, parameters, indices, epsilon=EPSILON):
    """The original assignment's loop, on the entries `indices`; returns gradapprox at those entries."""
    theta, _ = dictionary_to_vector(parameters)
    shapes = parameter_shapes(parameters)
    out = np.empty(len(indices))
    for k, i in enumerate(indices):
        thetaplus = np.copy(theta)
        thetaplus[i] += epsilon
        J_plus, _ = forward_propagation_deep(X, Y, vector_to_dictionary(thetaplus, shapes))
        thetaminus = np.copy(theta)
        thetaminus[i] -= epsilon
        J_minus, _ = forward_propagation_deep(X, Y, vector_to_dictionary(thetaminus, shapes))
        out[k] = (J_plus - J_minus) / (2 * epsilon)
    return out


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time the loop on a random subset and extrapolate")
    parser.add_argument("--subset", type=int, default=3000, help="entries timed by the loop with --quick")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the fast check (best is kept)")
    parser.add_argument("--loop-repeats", type=int, default=None,
                        help="runs of the loop (default: 2 with --quick, 1 without)")
    args = parser.parse_args(argv)

    X, Y, parameters, cost, gradients = make_case()
    n = dictionary_to_vector(parameters)[0].size
    if args.quick:
        indices = np.sort(np.random.default_rng(1).choice(n, size=min(args.subset, n), replace=False))
    else:
        indices = np.arange(n)
    loop_repeats = args.loop_repeats or (2 if args.quick else 1)
    # alternate the two methods, so that both see the same load from other processes
    fast_times, loop_times = [], []
    for r in range(max(args.repeats, loop_repeats)):
        if r < args.repeats:
            t, result = timed(lambda: check_gradients(cost, parameters, gradients, EPSILON))
            fast_times.append(t)
        if r < loop_repeats:
            t, loop = timed(lambda: classic_loop(X, Y, parameters, indices))
            loop_times.append(t)
    t_fast = min(fast_times)
    t_loop = min(loop_times) * n / len(indices)
    disagreement = float(np.max(np.abs(result.gradapprox[indices] - loop)))

    print(f"network {LAYERS}, m = {M} examples, {n:,} parameters, epsilon = {EPSILON:g}")
    if args.quick:
        print(f"--quick: the loop ran on {len(indices):,} random entries; its full time is extrapolated "
              f"(x {n / len(indices):.1f})")
    print(f"{'method':<44}{'seconds':>10}{'per entry':>14}")
    print(f"{'check_gradients(NetworkCost) (fast path)':<44}{t_fast:>10.2f}{t_fast / n * 1e6:>11.1f} us")
    label = "classic loop" + (" (extrapolated)" if args.quick else "")
    print(f"{label:<44}{t_loop:>10.2f}{t_loop / n * 1e6:>11.1f} us")
    print(f"runs: fast {', '.join(f'{t:.2f}' for t in fast_times)} s; "
          f"loop {', '.join(f'{t:.2f}' for t in loop_times)} s on {len(indices):,} entries")
    ratio = t_loop / t_fast
    print(f"speed ratio: {ratio:.1f}x (target >= {TARGET:.0f}x: {'met' if ratio >= TARGET else 'NOT met'})")
    print(f"max entry-wise disagreement: {disagreement:.2e} (must be < 1e-8: "
          f"{'ok' if disagreement < 1e-8 else 'FAILED'})")
    print(f"check verdict: {result.verdict}, difference {result.difference:.3g}")
    return 0 if disagreement < 1e-8 else 1


if __name__ == "__main__":
    raise SystemExit(main())
