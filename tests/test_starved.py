"""Reading how long an application was kept from a CPU: its process found from its window, its processes'
threads read from /proc, with real processes competing for one CPU."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from Xlib import Xatom

from xhands.input.starved import Starvation, process_tree, waited_since, window_pid

def busy_process(cpu: int) -> int:
    """A busy loop on one CPU, started through a shell that exits at once: not this process's child, so it is
    not part of this process's tree (the application's, in the settle tests). Its process id."""
    shell = subprocess.run(["sh", "-c", f"{sys.executable} -c 'while True: pass' >/dev/null 2>&1 & echo $!"],
                           capture_output=True, text=True, check=True)
    pid = int(shell.stdout)
    os.sched_setaffinity(pid, {cpu})
    return pid


def stop(*pids: int) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


def test_waiting_is_summed_over_the_busy_threads_that_lived_through_both_readings():
    ms = 1_000_000
    before = {"busy": (0, 0), "starved": (0, 0), "idle": (0, 0), "ended": (0, 0)}
    now = {"busy": (800 * ms, 150 * ms), "starved": (10 * ms, 600 * ms), "idle": (5 * ms, 40 * ms), "started": (0, 900 * ms)}
    # In one second: the idle thread ran and waited 45 ms in all (short wakes), under BUSY_SHARE; it does not count.
    assert waited_since(before, now, elapsed_s=1.0) == pytest.approx(0.75)


def test_the_tree_holds_children_and_grandchildren_but_never_this_process():
    shell = subprocess.Popen(["sh", "-c", "sh -c 'sleep 30' & sleep 30 & wait"])
    try:
        deadline = time.monotonic() + 5
        while len(tree := process_tree(shell.pid)) < 4 and time.monotonic() < deadline:  # sh, sh, sleep, sleep
            time.sleep(0.02)
        assert len(tree) == 4 and tree[0] == shell.pid, tree
        assert os.getpid() not in process_tree(os.getppid())
    finally:
        shell.kill()
        shell.wait()


def test_two_busy_processes_on_one_cpu_each_wait_for_it():
    cpu = min(os.sched_getaffinity(0))
    first, second = busy_process(cpu), busy_process(cpu)
    try:
        starvation = Starvation(first)
        time.sleep(0.5)
        waited = starvation.waited()
    finally:
        stop(first, second)
    assert waited > 0.05, f"waited {waited:.3f} s sharing one CPU"


def test_the_process_behind_a_window(recorder):
    with recorder.locked() as display:
        pid_atom = display.intern_atom("_NET_WM_PID")
        assert window_pid(display, recorder.window.id) is None  # it says nothing

        def claim(pid: int, machine: str) -> int | None:
            recorder.window.change_property(pid_atom, Xatom.CARDINAL, 32, [pid])
            recorder.window.set_wm_client_machine(machine)
            display.sync()
            return window_pid(display, recorder.window.id)

        assert claim(os.getpid(), socket.gethostname()) == os.getpid()
        assert claim(os.getpid(), "another-machine.example") is None
        gone = subprocess.Popen(["true"])
        gone.wait()
        assert claim(gone.pid, socket.gethostname()) is None  # not visible here (another namespace, or ended)
