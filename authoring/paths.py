"""Where the author tooling finds the repository: it is run from the root of the repository it builds."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"  #: the reference solutions, what the build reads
RELEASE = ROOT / "notebooks"  #: the student release, what the build writes
README = ROOT / "README.md"  #: whose notebook index the build rewrites
