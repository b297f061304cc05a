"""Toggle-to-new-figure latency of the Bug Lab on the classic network (Python side).

Ticks and unticks every bug of the catalog, one checkbox change at a time, the way a student
does, and times each change from `checkbox.value = ...` to the new PNG in the Image widget:
recompute (backward pass with bugs + gradient check) plus drawing (plot + PNG encoding).

    python benchmarks/bench_widgets.py [--rounds 5] [--budget-ms 100]

Prints the median and 90th percentile latency and the share spent recomputing vs drawing, and
whether the median is within the budget (100 ms); the exit status is 0 either way (slowness is
reported, not asserted). This is the kernel's share only: benchmarks/bench_browser.py measures the
whole path in JupyterLab, from the input event to the repainted plot.
"""
import argparse
import statistics
import sys
import time

from course_utils.bugs import BUGS
from course_utils.lab import bug_order
from course_utils.widgets import bug_lab


def measure(rounds=5):
    """Per-toggle timings: list of dicts total, recompute, draw (seconds)."""
    lab = bug_lab()
    for name in bug_order()[:2]:  # warm-up: first draws build caches (fonts, background)
        lab.checkboxes[name].value = True
        lab.checkboxes[name].value = False
    samples = []
    for _ in range(rounds):
        for name in [n for n in bug_order() if not BUGS[n].needs_l2]:  # at λ = 0 those change nothing
            for value in (True, False):
                before = lab.image.value
                start = time.perf_counter()
                lab.checkboxes[name].value = value
                total = time.perf_counter() - start
                if lab.image.value == before:
                    raise AssertionError(f"toggling {name} did not produce a new image")
                samples.append(dict(total=total, **lab.timings))
    return samples


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the whole catalog (default 5)")
    parser.add_argument("--budget-ms", type=float, default=100.0, help="median budget in ms (default 100)")
    args = parser.parse_args(argv)
    samples = measure(args.rounds)
    totals = sorted(s["total"] for s in samples)
    median = statistics.median(totals) * 1e3
    p90 = totals[int(0.9 * (len(totals) - 1))] * 1e3
    recompute = sum(s["recompute"] for s in samples)
    draw = sum(s["draw"] for s in samples)
    share = recompute / (recompute + draw)
    print(f"Bug Lab toggle latency over {len(samples)} toggles: median {median:.1f} ms, 90th percentile {p90:.1f} ms "
          f"(budget {args.budget_ms:.0f} ms)")
    print(f"  recompute {share:.0%} (median {statistics.median(s['recompute'] for s in samples) * 1e3:.1f} ms), "
          f"draw {1 - share:.0%} (median {statistics.median(s['draw'] for s in samples) * 1e3:.1f} ms)")
    print("within the budget" if median < args.budget_ms else "OVER the budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
