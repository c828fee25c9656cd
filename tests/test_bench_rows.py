"""The benchmark's table: the rows a step module makes on its own (computers.rows(), browser.rows()) go into a
full run's table as they are printed alone, their ratio included."""

import subprocess
import sys

from benchmarks.measure import cpu_per_call
from benchmarks.run import Bench


def test_a_step_modules_rows_join_the_full_runs_table_with_their_ratio():
    bench = Bench.__new__(Bench)  # no stage: only the table is used
    bench.rows = []
    bench.add_rows([dict(measure="instant moves/s", xhands="900/s; 300/s", ratio="3.00x of 1"),
                    dict(measure="create", xhands="120 ms", target="p50 ≤ 500 ms", met=True)])
    assert [(row["measure"], row["ratio"], row["target"], row["met"]) for row in bench.rows] == [
        ("instant moves/s", "3.00x of 1", "", None), ("create", "", "p50 ≤ 500 ms", True)]


def test_cpu_per_call_counts_what_each_watched_process_spends_on_a_call():
    """The bench's CPU-per-move rows: a process that burns 20 ms of its own CPU per call is counted at that,
    one that sleeps meanwhile at nothing, however loaded the machine is (the scheduler's count, not the clock)."""
    burner = subprocess.Popen([sys.executable, "-c", BURN_PER_LINE], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        def call(_):
            burner.stdin.write(b"\n")
            burner.stdin.flush()
            burner.stdout.readline()

        spent = cpu_per_call({"burn": call}, {"burner": burner.pid, "sleeper": sleeper.pid}, calls=5, rounds=2)
        assert 20_000 <= spent["burn"]["burner"] < 30_000
        assert spent["burn"]["sleeper"] < 500
    finally:
        burner.kill()
        sleeper.kill()
        burner.wait()
        sleeper.wait()


# Per line read: spin until 20 ms more of this process's own CPU have passed, then answer.
BURN_PER_LINE = """
import sys, time
for _ in sys.stdin:
    until = time.process_time() + 0.02
    while time.process_time() < until:
        pass
    sys.stdout.write("done\\n")
    sys.stdout.flush()
"""
