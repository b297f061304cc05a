"""A fresh copy of a released notebook, for a student who broke or deleted a cell.

In a notebook cell (or `python -m course_utils.fresh 02` in a terminal):

    from course_utils.fresh import fresh_copy
    fresh_copy("02")        # writes notebooks/NN_name-fresh.ipynb for notebook 02

The untouched notebooks of the student release sit in its `.release/` folder, which JupyterLab's file browser
hides and will not open (a name starting with a dot); in the course's own repository they are `notebooks/` as
committed (git HEAD). fresh_copy writes the copy next to your notebooks, where the file browser shows it, and never
over a file: open it, copy the cell you need back into your notebook (keep its tags), then delete the copy. The
grader reads only the notebook with the exact release name, so the copy changes nothing in your grade.
"""
import subprocess
import sys
from pathlib import Path

RELEASE_DIR = ".release"  #: the student release's untouched notebooks (authoring.delivery.student_release)
NOTEBOOKS_DIR = "notebooks"
SUFFIX = "-fresh"


def _course_root(start):
    """The nearest folder at or above `start` that holds .release/ or notebooks/, else the package's repository."""
    for folder in (start, *start.parents):
        if (folder / RELEASE_DIR).is_dir() or (folder / NOTEBOOKS_DIR).is_dir():
            return folder
    return Path(__file__).resolve().parent.parent


def _released_names(root):
    folder = root / RELEASE_DIR if (root / RELEASE_DIR).is_dir() else root / NOTEBOOKS_DIR
    return sorted(p.name for p in folder.glob("[0-9][0-9]_*.ipynb") if SUFFIX not in p.stem)


def _pick(which, names):
    """The release notebook meant by `which` ("02", "2", "02_check_a_1d_gradient", "...ipynb"); ValueError if none."""
    text = str(which).strip()
    if text.isdigit():
        text = f"{int(text):02d}_"
    matches = [n for n in names if n == text or n == text + ".ipynb" or n.startswith(text)]
    if len(matches) != 1:
        raise ValueError(f"no single release notebook matches {which!r}: pick one of "
                         f"{', '.join(n[:2] for n in names) or 'none'} ({', '.join(names)})")
    return matches[0]


def _untouched(root, name):
    """The bytes of release notebook `name` as handed out."""
    released = root / RELEASE_DIR / name
    if released.is_file():
        return released.read_bytes()
    try:  # the course's repository: notebooks/ as committed
        return subprocess.run(["git", "-C", str(root), "show", f"HEAD:{NOTEBOOKS_DIR}/{name}"], capture_output=True,
                              check=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        raise FileNotFoundError(f"no untouched copy of {name}: neither {root / RELEASE_DIR} nor a git history of "
                                f"{root / NOTEBOOKS_DIR} was found") from None


def fresh_copy(which, start=None):
    """Write an untouched copy of release notebook `which` next to your notebooks; return its path.

    which -- the notebook's number ("02" or 2) or the start of its file name
    start -- where to look for the course (default: the current folder, a notebook's own folder in Jupyter)
    The copy is notebooks/NN_name-fresh.ipynb (-fresh-2, -fresh-3, ... when that exists): never over a file.
    """
    root = _course_root(Path(start or Path.cwd()).resolve())
    name = _pick(which, _released_names(root))
    content = _untouched(root, name)
    folder = root / NOTEBOOKS_DIR if (root / NOTEBOOKS_DIR).is_dir() else root
    stem = name[: -len(".ipynb")]
    target, k = folder / f"{stem}{SUFFIX}.ipynb", 1
    while target.exists():
        k += 1
        target = folder / f"{stem}{SUFFIX}-{k}.ipynb"
    target.write_bytes(content)
    return target


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print("usage: python -m course_utils.fresh NN   (e.g. 02): an untouched copy of notebook NN, next to yours")
        return 0 if args and args[0] in ("-h", "--help") else 2
    try:
        target = fresh_copy(args[0])
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {target}: open it from the file browser and copy the cell you need back into your notebook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
