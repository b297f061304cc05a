"""tests/shared_runs.py: a result computed once per session, shared by processes that ask for it at the same time."""
import os
import subprocess
import sys
from pathlib import Path

import shared_runs

ASK = """
import sys, time
sys.path.insert(0, {tests!r})
import shared_runs

class Factory:  # what computed_once uses of pytest's tmp_path_factory
    def getbasetemp(self):
        return __import__("pathlib").Path({base!r})

def compute():
    with open({log!r}, "a") as log:
        log.write("computed\\n")
    time.sleep(1)  # long enough for the other process to ask meanwhile
    return {{"value": 42}}

print(shared_runs.computed_once(Factory(), "answer", "k1", compute)["value"])
"""


def test_two_processes_asking_at_once_compute_it_once_and_read_the_same(tmp_path):
    log = tmp_path / "log.txt"
    code = ASK.format(tests=str(Path(shared_runs.__file__).parent), base=str(tmp_path), log=str(log))
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}  # the folder is the base itself
    askers = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
              for _ in range(2)]
    answers = [p.communicate(timeout=60)[0].strip() for p in askers]
    assert answers == ["42", "42"]
    assert log.read_text().splitlines() == ["computed"]
    assert (tmp_path / "shared_runs" / "answer-k1.pickle").is_file()


def test_a_failed_computation_stores_nothing_and_the_next_caller_computes(tmp_path, monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # the folder is the base itself

    class Factory:
        def getbasetemp(self):
            return tmp_path

    def fails():
        raise RuntimeError("no")

    try:
        shared_runs.computed_once(Factory(), "answer", "k1", fails)
    except RuntimeError:
        pass
    assert shared_runs.computed_once(Factory(), "answer", "k1", lambda: 7) == 7
    assert shared_runs.computed_once(Factory(), "answer", "k1", fails) == 7  # read, not computed again
    assert shared_runs.computed_once(Factory(), "answer", "k2", lambda: 8) == 8  # other inputs, another result


def test_the_key_changes_with_the_inputs(tmp_path):
    (tmp_path / "a.txt").write_text("1")
    first = shared_runs.inputs_key(tmp_path)
    (tmp_path / "a.txt").write_text("2")
    assert shared_runs.inputs_key(tmp_path) != first
