"""Long work costs time linear in its size and never stops the daemon from answering or exiting."""

import math
import signal
import time

import httpx
import pytest

from tests.daemons import post_in_background, sigterm_during, start_daemon
from tests.xstate import keymap_rows, nothing_pressed


def timed_type(client, text: str) -> float:
    started = time.monotonic()
    response = client.post("/computer/type", json={"text": text}, timeout=120)
    assert response.status_code == 200, response.text
    return time.monotonic() - started


def least_time(client, text: str, runs: int = 3) -> float:
    return min(timed_type(client, text) for _ in range(runs))  # the least disturbed run


def test_typing_time_is_linear_in_the_text(client):
    """Nothing reads these keys (no window has focus), so this times the daemon alone: five times the text
    takes at most 5.5 times as long (quadratic typing took 20 times as long). A share of the machine taken by
    something else can tip one measurement, never three in a row."""
    client.post("/computer/move_mouse", json={"x": 0, "y": 0, "smooth": False})
    timed_type(client, "warm" * 100)
    ratios = []
    for _ in range(3):
        short, long = least_time(client, "a" * 20_000), least_time(client, "a" * 100_000)
        ratios.append(long / short)
        if long <= 5.5 * short:
            break
    assert min(ratios) <= 5.5, f"100k characters took {ratios} times as long as 20k"
    assert long < 10


def answer_times(busy_url: str, idle_url: str, seconds: float) -> tuple[list[float], list[float]]:
    """Ask /health and /metrics of two daemons in turn for this long; how long each answer took, by daemon."""
    times = {busy_url: [], idle_url: []}
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=5) as client:
        while time.monotonic() < deadline:
            for path in ("/health", "/metrics"):
                for url in times:
                    asked = time.monotonic()
                    assert client.get(url + path).status_code == 200
                    times[url].append(time.monotonic() - asked)
            time.sleep(0.02)
    return times[busy_url], times[idle_url]


LONG_ACTIONS = {
    # Plain text alone is typed in well under a second; characters missing from the keymap make it last.
    "type-100k": ("type", {"text": ("xhands " + "".join(chr(0x4E00 + i) for i in range(43))) * 2_000}),
    "drag-1000-points": ("drag_mouse", {"path": [[10 + i % 600, 10 + (i * 7) % 500] for i in range(1000)], "smooth": False,
                                        "steps_per_segment": 5, "step_delay_ms": 1}),
    "press-key-30s": ("press_key", {"keys": ["shift+a"], "duration": 30_000}),
}


@pytest.mark.parametrize("route, body", LONG_ACTIONS.values(), ids=LONG_ACTIONS.keys())
def test_daemon_answers_while_long_work_runs_and_sigterm_ends_it(xvfb, route, body):
    before = keymap_rows()
    daemon, idle = start_daemon("--max-queue", "0"), start_daemon()
    try:
        thread, outcome = post_in_background(f"{daemon.url}/computer/{route}", body, timeout=60)
        time.sleep(0.3)
        times, idle_times = answer_times(daemon.url, idle.url, 0.8)
        asked = time.monotonic()
        refused = httpx.post(f"{daemon.url}/computer/click_mouse", json={"x": 5, "y": 5}, timeout=5)
        refused_in = time.monotonic() - asked
        assert thread.is_alive(), "the long action ended before the daemon was asked anything"
        # Answers come within 100 ms. On a 2-core machine shared with other work the scheduler holds processes
        # back now and then: an idle daemon, asked in the same turns, shows how often. The busy one may be late
        # only that often and one time in ten more (rounded up: of the 8 answers a loaded machine gives, one),
        # and never by a second (a blocked event loop answered after 5 to 12 s). Under a CPU hog, typing 100k
        # characters, the idle daemon's slowest answers took 120-190 ms and the busy one's 85-115 ms.
        late = [t for t in times if t > 0.1]
        late_idle = [t for t in idle_times if t > 0.1]
        assert len(late) <= len(late_idle) + math.ceil(len(times) / 10) and max(times) < 1.0, \
            f"{len(late)} of {len(times)} answers late: {late}; of the idle daemon's, {len(late_idle)}: {late_idle}"
        assert refused.status_code == 429 and refused_in < 1.0, refused.text
        sigterm_during(daemon, thread, outcome)
    finally:
        daemon.stop()
        idle.stop()
    assert nothing_pressed()
    assert keymap_rows() == before


@pytest.mark.parametrize("attempt", range(5))
def test_a_button_held_down_is_released_by_sigterm(xvfb, attempt):
    daemon = start_daemon()
    response = httpx.post(f"{daemon.url}/computer/click_mouse", json={"x": 20, "y": 20, "click_type": "down"})
    assert response.status_code == 200
    assert not nothing_pressed()
    daemon.process.send_signal(signal.SIGTERM)
    daemon.process.wait(timeout=5)
    assert nothing_pressed()


def test_a_long_plain_text_does_not_stall_the_next_rebind(client, recorder):
    """Plain text needs no spare keycodes; the next text that does must not wait for 1 ms per press of it."""
    client.post("/computer/move_mouse", json={"x": 0, "y": 0, "smooth": False})
    recorder.focus()
    timed_type(client, "a" * 50_000)
    recorder.wait_idle(quiet=0.3, timeout=60)
    recorder.clear()
    assert timed_type(client, "é日本") < 5
    recorder.wait_for(lambda evs: len([e for e in evs if e.kind == "key_release"]) >= 3)
    assert recorder.typed_text() == "é日本"
