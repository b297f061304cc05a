#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (its Ubuntu base image):
# Python, the grader's packages (requirements.txt of this bundle) in a virtual environment, and
# bubblewrap, the sandbox every notebook runs in. Written by `python -m course_utils.build --gradescope`.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"   # /autograder/source
ROOT="${AUTOGRADER_ROOT:-$(dirname "$SOURCE")}"          # /autograder
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip
# Where the container refuses namespaces, the grader notices, grades without bubblewrap and says so
# in every result ("How your code ran: ...").
apt-get install -y -qq bubblewrap util-linux \
  || echo "setup.sh: bubblewrap could not be installed; submissions will be graded unsandboxed"

python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install -q --upgrade pip
"$ROOT/venv/bin/python" -m pip install -q -r "$SOURCE/requirements.txt"
chmod 755 "$SOURCE/run_autograder"

# fail the image build now, not at the first submission, if the grader cannot start
PYTHONPATH="$SOURCE" "$ROOT/venv/bin/python" -c "
from course_utils.grading import load_release, sandbox
release = load_release('$SOURCE/notebooks')
ok, why = sandbox.available()
print(f'setup.sh: grader ready, {len(release.notebooks)} release notebooks; sandbox:', 'bubblewrap' if ok else f'OFF ({why})')
"
