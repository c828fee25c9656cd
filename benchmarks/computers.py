"""Computers made by Lightcone's POST /computers, on a daemon of their own (--max-computers 4):

- the time from POST /computers to the first screenshot's answer (a new private Xvfb, its connection, a PNG);
- the memory each idle computer adds: the daemon's RSS, and its Xvfb's (PSS) beside it;
- instant moves per second from 4 clients, each driving a computer of its own, against 1 client on 1 computer
  and 4 clients sharing 1 computer (one queue).

    python -m benchmarks.computers   # these rows alone, printed; the full run (python -m benchmarks) has them too
"""

import json
import threading
import time

from tests.processes import x_servers_of
from xhands.daemon.client.testing import LocalServer

from .env import rss_kb
from .measure import Client, cell, summary
from .report import print_rows

SIZE = {"width": 1280, "height": 800}
MOVES_PER_CLIENT = 600


def x_servers_pss_kb(pid: int) -> int:
    """The memory of the X servers a process started (its children named Xvfb), in kB: their PSS, which counts
    the libraries they share once, not once per server as RSS would."""
    total = 0
    for server in x_servers_of(pid):
        try:
            with open(f"/proc/{server}/smaps_rollup") as rollup:
                total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
        except OSError:
            continue  # it ended while we looked
    return total


def create(client: Client) -> dict:
    return json.loads(client.post("/computers", {"kind": "desktop", "display": SIZE}))


def delete(client: Client, computer_id: str) -> None:
    client.connection.request("DELETE", f"/computers/{computer_id}")
    client.connection.getresponse().read()


def first_screenshot(client: Client, rounds: int) -> dict:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        computer = create(client)
        client.post(f"/computers/{computer['id']}/screenshot", {"base64": False})
        samples.append((time.perf_counter() - started) * 1000)
        delete(client, computer["id"])
    return summary(samples)


def idle_memory(daemon: LocalServer, client: Client, count: int) -> tuple[float, float]:
    """MB of daemon RSS and of Xvfb RSS that each of `count` idle computers adds (each has taken a screenshot)."""
    time.sleep(1.0)
    before, servers_before = rss_kb(daemon.process), x_servers_pss_kb(daemon.process.pid)
    made = [create(client) for _ in range(count)]
    for computer in made:
        client.post(f"/computers/{computer['id']}/screenshot", {"base64": False})
    time.sleep(1.0)
    daemon_mb = (rss_kb(daemon.process) - before) / 1024 / count
    xvfb_mb = (x_servers_pss_kb(daemon.process.pid) - servers_before) / 1024 / count
    for computer in made:
        delete(client, computer["id"])
    return daemon_mb, xvfb_mb


def moves_per_second(port: int, computer_ids: list[str]) -> float:
    """Instant moves a second, one client (thread, connection) per id, all started together."""
    start = threading.Barrier(len(computer_ids) + 1)

    def drive(computer_id: str) -> None:
        client = Client(port)
        path = f"/computers/{computer_id}/execute"
        bodies = [json.dumps({"action": {"type": "move", "x": 100 + i, "y": 100}}).encode() for i in range(2)]
        client.post(path, bodies[0])  # the connection open before the clock starts
        start.wait()
        for i in range(MOVES_PER_CLIENT):
            client.post(path, bodies[i % 2])

    threads = [threading.Thread(target=drive, args=(computer_id,)) for computer_id in computer_ids]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return MOVES_PER_CLIENT * len(computer_ids) / (time.perf_counter() - began)


def rows(quick: bool = False) -> list[dict]:
    daemon = LocalServer(screen="1280x800x24", args=("--max-computers", "4", "--log-level", "warning")).start()
    try:
        client = Client(daemon.port)
        shot = first_screenshot(client, 3 if quick else 10)
        daemon_mb, xvfb_mb = idle_memory(daemon, client, 4)
        made = [create(client)["id"] for _ in range(4)]
        one = moves_per_second(daemon.port, made[:1])
        shared = moves_per_second(daemon.port, [made[0]] * 4)
        four = moves_per_second(daemon.port, made)
        for computer_id in made:
            delete(client, computer_id)
    finally:
        daemon.stop()
    return [
        dict(measure="POST /computers (1280x800) until its first screenshot is answered", xhands=cell(shot),
             target="p50 ≤ 500 ms", met=shot["p50_ms"] <= 500),
        dict(measure="memory each idle computer adds (after one screenshot): the daemon's RSS; its Xvfb's PSS",
             xhands=f"{daemon_mb:.1f} MB; Xvfb {xvfb_mb:.1f} MB", target="daemon ≤ 15 MB", met=daemon_mb <= 15),
        dict(measure="instant moves/s (Lightcone execute over HTTP): 4 clients on 4 computers; 4 clients on 1; 1 client on 1",
             xhands=f"{four:.0f}/s; {shared:.0f}/s; {one:.0f}/s", ratio=f"{four / one:.2f}x of 1"),
    ]


def main() -> None:
    print_rows(rows())


if __name__ == "__main__":
    main()
