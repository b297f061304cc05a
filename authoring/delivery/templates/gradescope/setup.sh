#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (its Ubuntu base image):
# Python, the grader's packages (requirements.txt of this bundle) in a virtual environment, and
# bubblewrap, the sandbox every notebook runs in. Written by `python -m authoring.build --gradescope`.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"   # /autograder/source
ROOT="${AUTOGRADER_ROOT:-$(dirname "$SOURCE")}"          # /autograder
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
apt-get install -y -qq python3 python3-venv python3-pip
# bubblewrap sandboxes every notebook; Ubuntu 22.04 ships 0.6.1, which the grader supports. Where the
# container refuses namespaces, the grader says so in every result and runs student code unsandboxed but
# as unprivileged uids (setpriv, util-linux), which cannot touch the results.
apt-get install -y -qq bubblewrap util-linux \
  || echo "setup.sh: bubblewrap could not be installed; submissions will be graded unsandboxed, as unprivileged uids"

python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install -q --upgrade pip
"$ROOT/venv/bin/python" -m pip install -q -r "$SOURCE/requirements.txt"
chmod 755 "$SOURCE/run_autograder"
chmod -R go-w "$SOURCE" "$ROOT/venv"   # student code, run as another uid, may read the grader but not change it
chmod 600 "$SOURCE/class_key.txt"       # ... nor read the class key (it would forge any capstone code)

# fail the image build now, not at the first submission, if the grader cannot start; say how it will grade
PYTHONPATH="$SOURCE" "$ROOT/venv/bin/python" -c "
from course_utils.grading import load_release, sandbox
release = load_release('$SOURCE/notebooks')
ok, why = sandbox.available()
uids, uids_why = sandbox.uids_possible()
print(f'setup.sh: grader ready, {len(release.notebooks)} release notebooks; sandbox:',
      sandbox.describe() if ok else f'none ({why}); student code runs ' + ('as unprivileged uids' if uids else f'AS ROOT: {uids_why}'))
"
