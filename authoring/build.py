"""Build the student release (notebooks/) from the reference solutions (solutions/).

    python -m authoring.build                 # every notebook, then the README index
    python -m authoring.build --only 01 02    # some notebooks (number, stem or file name)
    python -m authoring.build --check         # build into a temporary folder, compare, write nothing
    python -m authoring.build --student-release DIR --class-key KEY   # the students' repository
    python -m authoring.build --gradescope FILE.zip --class-key KEY   # Gradescope's autograder
    python -m authoring.build --capstone-codes IDS --class-key KEY    # notebook 06's codes, one per student

For every solutions/NN_name.ipynb the build
1. validates the cell contract (readable unique ids, exercise/check metadata, solution markers): authoring.contract,
2. executes the notebook top to bottom in a fresh python3 kernel (nbclient, cwd = notebooks/),
3. writes notebooks/NN_name.ipynb: exercise cells get a stub in place of each
   `# BEGIN SOLUTION: hint` ... `# END SOLUTION` block and no outputs; so do demo cells tagged
   `student-output` (they show what the student's own functions give, and carry nbval-ignore-output);
   every other cell keeps the cleaned outputs of the real execution; execution counts are 1, 2, 3, ... over the
   code cells (steps 2 and 3: authoring.execute),
4. re-runs the built notebooks with the solutions' exercise cells in other numerical environments (numpy's
   baseline SIMD code with another OpenBLAS kernel, and the oldest numpy allowed: authoring.portability) and
   refuses to write anything if a compared output differs there,
5. rewrites the notebook index in README.md between the notebook-index markers (authoring.index).
The delivery options package the release as built (authoring.deliver, authoring.delivery).

This module is the command line. The names other code reads from it (the paths, BuildError, build_notebook, the
cell roles, class_key) are importable from here.
"""
import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from authoring import portability
from authoring.contract import BuildError, is_check, is_exercise
from authoring.deliver import class_key, deliver
from authoring.execute import build_notebook
from authoring.index import update_readme
from authoring.paths import README, RELEASE, ROOT, SOLUTIONS

__all__ = ["README", "RELEASE", "ROOT", "SOLUTIONS", "BuildError", "build_notebook", "class_key", "is_check",
           "is_exercise", "main", "portable", "select"]


def select(names, solutions_dir=SOLUTIONS):
    """Solution paths matching `names` (number '01', stem or file name); all if names is empty."""
    paths = sorted(Path(solutions_dir).glob("*.ipynb"))
    if not names:
        return paths
    chosen = []
    for name in names:
        stem = Path(name).name.removesuffix(".ipynb")
        hits = [p for p in paths if p.stem == stem] or [p for p in paths if p.stem.startswith(stem)]
        if len(hits) != 1:
            found = ", ".join(p.stem for p in hits) or "nothing"
            raise BuildError(f"--only {name}: matches {found} in {solutions_dir}")
        if hits[0] not in chosen:
            chosen.append(hits[0])
    return chosen


def comparable(path):
    """A notebook as --check compares it: everything but the data of image outputs, which nbval does not compare
    either (05's plot of measured timings differs from one run to the next)."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            for kind in [k for k in data if k.startswith("image/")]:
                data[kind] = "(image)"
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m authoring.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", default=[],
                        help="build only these notebooks: number (01), stem or file name")
    parser.add_argument("--check", action="store_true",
                        help="build into a temporary folder and report which release files are out of date")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS, help=argparse.SUPPRESS)
    parser.add_argument("--release", type=Path, default=RELEASE, help=argparse.SUPPRESS)
    delivery = parser.add_argument_group(
        "delivery", "package the release as built (notebooks/ is not rebuilt; authoring/delivery/)")
    delivery.add_argument("--student-release", type=Path, metavar="DIR",
                          help="write the students' repository into DIR (new, empty, or an earlier student release)")
    delivery.add_argument("--gradescope", type=Path, metavar="FILE.zip",
                          help="write the Gradescope autograder bundle to FILE.zip")
    delivery.add_argument("--class-key", type=Path, metavar="FILE",
                          help="with --student-release, --gradescope or --capstone-codes (required): the class key "
                               "notebook 06's teammates are sealed under and its capstone codes issued with; made in "
                               "FILE if FILE does not exist. Keep it: the grader needs it (grade --class-key FILE)")
    delivery.add_argument("--capstone-codes", type=Path, metavar="IDS",
                          help="print the capstone code of every student id in IDS (one per line, or a roster CSV: "
                               "its first column) as CSV: student id, capstone code")
    delivery.add_argument("--github", metavar="OWNER/NAME",
                          help="with --student-release: the students' GitHub repository, for the README's clone "
                               "and Binder links")
    parser.add_argument("--no-portability-check", action="store_true",
                        help="write the notebooks without re-running them in other numerical environments "
                             "(drafts only: a release built so may fail on students' computers)")
    args = parser.parse_args(argv)
    if args.github and not args.student_release:
        parser.error("--github: only with --student-release DIR")
    if args.class_key and not (args.student_release or args.gradescope or args.capstone_codes):
        parser.error("--class-key FILE: only with --student-release, --gradescope or --capstone-codes")
    if args.student_release or args.gradescope or args.capstone_codes:
        if args.only or args.check:
            parser.error("--student-release, --gradescope and --capstone-codes package the built release; run "
                         "--only/--check separately")
        if not args.class_key:
            parser.error("--class-key FILE is required: the key of this class (a new one is made in FILE if it does "
                         "not exist; use the same FILE for the student release, the Gradescope bundle and the codes)")
        return deliver(args)
    try:
        paths = select(args.only, args.solutions)
        if not paths:
            raise BuildError(f"no solution notebooks in {args.solutions}")
        if args.check:
            stale = []
            with tempfile.TemporaryDirectory() as tmp:
                for path in paths:
                    built = build_notebook(path, tmp, cwd=args.release)
                    current = Path(args.release) / path.name
                    if not current.exists() or comparable(current) != comparable(built):
                        stale.append(path.name)
            for name in stale:
                print(f"out of date: notebooks/{name}")
            print("release is up to date" if not stale else "run: python -m authoring.build")
            return 1 if stale else 0
        failed = []
        Path(args.release).mkdir(parents=True, exist_ok=True)  # the kernels' working folder
        with tempfile.TemporaryDirectory(prefix="build-") as tmp:
            built = []
            for path in paths:  # one broken notebook does not stop the others
                try:
                    built.append(build_notebook(path, tmp, cwd=args.release))
                except BuildError as error:
                    print(f"build failed: {error}", file=sys.stderr)
                    failed.append(path.name)
            if built and not args.no_portability_check:
                refused = portable(tmp, args.solutions, [p.name for p in built])
                if refused:
                    print(f"build refused: these outputs differ on other computers, so every student there would "
                          f"fail them; print what is stable (authoring/portability.py):\n{refused}", file=sys.stderr)
                    return 1
            for path in built:
                target = Path(args.release) / path.name
                if not target.exists() or target.read_bytes() != path.read_bytes():
                    target.write_bytes(path.read_bytes())
                print(f"built {os.path.relpath(target, Path.cwd())}")
        if args.release.resolve() == RELEASE.resolve():
            update_readme(README, args.release)
        if failed:
            print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
            return 1
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    return 0


def portable(built_dir, solutions_dir, names):
    """'' when the built notebooks' compared outputs are the same in every other numerical environment
    (authoring.portability), else a report of the differing cells."""
    try:
        return portability.describe(portability.check(built_dir, solutions_dir, names))
    except portability.PortabilityError as error:
        raise BuildError(f"the portability check could not run ({error}); fix that, or pass "
                         "--no-portability-check for a draft") from None


if __name__ == "__main__":
    sys.exit(main())
