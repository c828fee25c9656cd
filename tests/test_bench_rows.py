"""The benchmark's table: the rows a step module makes on its own (computers.rows(), browser.rows()) go into a
full run's table as they are printed alone, their ratio included."""

from benchmarks.run import Bench


def test_a_step_modules_rows_join_the_full_runs_table_with_their_ratio():
    bench = Bench.__new__(Bench)  # no stage: only the table is used
    bench.rows = []
    bench.add_rows([dict(measure="instant moves/s", xhands="900/s; 300/s", ratio="3.00x of 1"),
                    dict(measure="create", xhands="120 ms", target="p50 ≤ 500 ms", met=True)])
    assert [(row["measure"], row["ratio"], row["target"], row["met"]) for row in bench.rows] == [
        ("instant moves/s", "3.00x of 1", "", None), ("create", "", "p50 ≤ 500 ms", True)]
