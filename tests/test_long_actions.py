"""Long work costs time linear in its size and never stops the daemon from answering or exiting."""

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


def test_typing_time_is_linear_in_the_text(client):
    """Nothing reads these keys (no window has focus), so this times the daemon alone."""
    client.post("/computer/move_mouse", json={"x": 0, "y": 0, "smooth": False})
    timed_type(client, "warm" * 100)
    short = min(timed_type(client, "a" * 10_000) for _ in range(3))  # the least disturbed of three runs each
    long = min(timed_type(client, "a" * 50_000) for _ in range(3))
    assert long <= 5.5 * short, f"10k characters in {short:.2f} s, 50k in {long:.2f} s"
    assert timed_type(client, "ab" * 50_000) < 10


def slowest_answer(url: str, seconds: float) -> float:
    """Ask /health and /metrics in turn for this long; the slowest answer's time."""
    slowest = 0.0
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=5) as client:
        while time.monotonic() < deadline:
            for path in ("/health", "/metrics"):
                asked = time.monotonic()
                assert client.get(path).status_code == 200
                slowest = max(slowest, time.monotonic() - asked)
            time.sleep(0.02)
    return slowest


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
    daemon = start_daemon("--max-queue", "0")
    try:
        thread, outcome = post_in_background(f"{daemon.url}/computer/{route}", body, timeout=60)
        time.sleep(0.3)
        slowest = slowest_answer(daemon.url, 0.8)
        asked = time.monotonic()
        refused = httpx.post(f"{daemon.url}/computer/click_mouse", json={"x": 5, "y": 5}, timeout=5)
        assert refused.status_code == 429 and time.monotonic() - asked < 0.1, refused.text
        assert thread.is_alive(), "the long action ended before the daemon was asked anything"
        assert slowest < 0.1, f"/health or /metrics took {slowest * 1000:.0f} ms while {route} ran"
        sigterm_during(daemon, thread, outcome)
    finally:
        daemon.stop()
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
