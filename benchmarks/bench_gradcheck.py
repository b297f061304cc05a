"""Benchmark: the batched gradient check vs the classic one-entry-at-a-time loop, and the cost of the
second look at epsilon / 10 that tells a bug from truncation and round-off.

    python benchmarks/bench_gradcheck.py            # full loop over all ~59k entries (about a minute or two)
    python benchmarks/bench_gradcheck.py --quick    # loop on a random subset, extrapolated
    python benchmarks/bench_gradcheck.py --second-look-only   # only the second part (a few seconds)

Network [100, 256, 128, 1] with 128 examples (58,881 parameters). The fast path is
check_gradients(NetworkCost(X, Y), parameters, gradients); the classic loop copies theta, perturbs
one entry, rebuilds the dictionary with vector_to_dictionary and runs forward_propagation_deep,
twice per entry, as the original assignment does. Both run in the same process, side by side,
alternating, a few times each (other processes share the CPU: the best times are compared).

Second part: check_gradients with its second look (the default) against check_gradients(...,
recheck=False) -- the behaviour before it, which calls every tensor above the threshold and above
round-off a bug -- in the same run, alternating, on the classic net (the Bug Lab's check, the loop
path) and on a mid-size net (the fast path), each with nothing flagged, with flagged tensors (a bug),
and with every tensor flagged (a correct gradient at epsilon = 0.1). Reported: the ratio of the best
times; a check with nothing flagged must cost the same (ratio about 1).
"""
import argparse
import functools
import time

import numpy as np

from course_utils.backprop import backward_propagation_n
from course_utils.fastcost import NetworkCost, classic_cost
from course_utils.gradcheck import check_gradients
from course_utils.network import (
    forward_propagation_deep,
    forward_propagation_n,
    gradient_check_n_test_case,
    initialize_parameters,
)
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


MID_LAYERS = [20, 64, 32, 1]  # 3,457 parameters
MID_M = 64


def second_look_cases():
    """(label, cost, parameters, gradients, epsilon) for the second-look comparison."""
    X, Y, parameters = gradient_check_n_test_case()
    _, cache = forward_propagation_n(X, Y, parameters)
    correct = backward_propagation_n(X, Y, cache)
    colleague = backward_propagation_n(X, Y, cache, bugs=("dW2_times_2", "db1_4_over_m"))
    cost = classic_cost(X, Y)
    rng = np.random.default_rng(2)
    X_mid = rng.standard_normal((MID_LAYERS[0], MID_M))
    Y_mid = (rng.random(MID_M) < 0.5).astype(float)
    mid = initialize_parameters(MID_LAYERS, seed=2)
    mid_cost = NetworkCost(X_mid, Y_mid)
    mid_correct = mid_cost.gradients(mid)
    mid_buggy = dict(mid_correct, dW2=mid_correct["dW2"] * 2)
    return [
        ("classic net, correct, eps 1e-7 (nothing flagged)", cost, parameters, correct, 1e-7),
        ("classic net, colleague's bugs, eps 1e-7", cost, parameters, colleague, 1e-7),
        ("classic net, correct, eps 0.1 (all flagged)", cost, parameters, correct, 0.1),
        (f"mid net {MID_LAYERS}, correct, eps 1e-7", mid_cost, mid, mid_correct, 1e-7),
        (f"mid net {MID_LAYERS}, dW2 x 2, eps 1e-7", mid_cost, mid, mid_buggy, 1e-7),
        (f"mid net {MID_LAYERS}, correct, eps 0.1", mid_cost, mid, mid_correct, 0.1),
    ]


def bench_second_look(repeats):
    """Print best CPU times with and without the second look, and their ratio; return the ratios.

    CPU time of this process (time.process_time), not wall time: on a machine shared with other
    processes it is the steadier measure of the work done.
    """
    print(f"\nsecond look: check_gradients vs check_gradients(recheck=False), best CPU time of {repeats} runs "
          "each, alternating")
    print(f"{'case':<50}{'verdict':>18}{'again':>7}{'of n':>7}{'with ms':>9}{'without ms':>11}{'ratio':>7}")
    ratios = {}
    for label, cost, parameters, gradients, epsilon in second_look_cases():
        with_look = functools.partial(check_gradients, cost, parameters, gradients, epsilon)
        without_look = functools.partial(check_gradients, cost, parameters, gradients, epsilon, recheck=False)
        with_times, without_times = [], []
        for _ in range(repeats):
            t, result = timed(with_look, time.process_time)
            with_times.append(t)
            t, _ = timed(without_look, time.process_time)
            without_times.append(t)
        ratios[label] = min(with_times) / min(without_times)
        print(f"{label:<50}{result.verdict:>18}{int(result.rechecked.sum()):>7}{result.grad.size:>7}"
              f"{min(with_times) * 1e3:>9.2f}{min(without_times) * 1e3:>11.2f}{ratios[label]:>7.2f}")
    print("again = entries evaluated again (two cost evaluations each, at epsilon / 10 or smaller steps) of the n "
          "entries checked; ratio = with / without")
    return ratios


def timed(fn, clock=time.perf_counter):
    start = clock()
    value = fn()
    return clock() - start, value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time the loop on a random subset and extrapolate")
    parser.add_argument("--subset", type=int, default=3000, help="entries timed by the loop with --quick")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the fast check (best is kept)")
    parser.add_argument("--loop-repeats", type=int, default=None,
                        help="runs of the loop (default: 2 with --quick, 1 without)")
    parser.add_argument("--second-look-only", action="store_true", help="run only the second-look comparison")
    parser.add_argument("--second-look-repeats", type=int, default=15, help="runs of each second-look case")
    args = parser.parse_args(argv)
    if args.second_look_only:
        bench_second_look(args.second_look_repeats)
        return 0

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
    bench_second_look(args.second_look_repeats)
    return 0 if disagreement < 1e-8 else 1


if __name__ == "__main__":
    raise SystemExit(main())
