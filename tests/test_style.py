"""The code follows the project's lint rules (pyproject.toml [tool.ruff]): pyflakes, pycodestyle, bugbear and import
order, over the package, the tests, the benchmarks and the notebooks."""
import subprocess
import sys

from course_utils import build


def test_ruff_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=build.ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
