"""A free TCP port, for tests and benchmarks alike (benchmarks/ imports it from here).

Only for a port that must be named on a command line: another process may take
it before ours listens. LocalServer binds and passes its own socket instead.
"""

import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
