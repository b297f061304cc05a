"""The code follows the project's lint rules (pyproject.toml [tool.ruff]): pyflakes, pycodestyle, bugbear and import
order, over the package, the author tooling, the tests, the benchmarks and the notebooks (solutions included)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", "."],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
