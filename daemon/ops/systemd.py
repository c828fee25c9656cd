"""systemd's conventions without libsystemd: inherited listening sockets and readiness notices.

Socket activation (sd_listen_fds(3)): the manager passes listening sockets as
file descriptors 3, 4, ... and says how many in LISTEN_FDS, for the process
named by LISTEN_PID. Readiness (sd_notify(3)): a datagram such as "READY=1"
to the socket named by NOTIFY_SOCKET.

`python -m xhands.daemon.ops.systemd --fd N -- COMMAND...` runs COMMAND the way systemd
would after accepting on a socket unit: with the listening socket N as fd 3.
Tests and the pytest plugin use it to hand the daemon a socket they bound
themselves, so no port can be taken between choosing it and listening on it.
"""

import argparse
import fcntl
import os
import socket
from typing import NoReturn

LISTEN_FDS_START = 3


class ActivationError(RuntimeError):
    """The manager passed something the daemon cannot listen on."""


def listen_fds(unset_environment: bool = True) -> list[socket.socket]:
    """The listening sockets passed to this process, in order; [] when none were."""
    pid, count = os.environ.get("LISTEN_PID", ""), os.environ.get("LISTEN_FDS", "")
    if unset_environment:  # children (xclip, Xvfb) must not believe the sockets are theirs
        for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
            os.environ.pop(name, None)
    if not (pid.isdigit() and count.isdigit()) or int(pid) != os.getpid():
        return []
    sockets = []
    for fd in range(LISTEN_FDS_START, LISTEN_FDS_START + int(count)):
        os.set_inheritable(fd, False)
        sock = socket.socket(fileno=fd)  # family and type are read from the descriptor
        if sock.type != socket.SOCK_STREAM or not sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            raise ActivationError(f"inherited fd {fd} is not a listening stream socket (use Accept=no in the socket unit)")
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def describe(sock: socket.socket) -> str:
    address = sock.getsockname()
    if sock.family == socket.AF_UNIX:
        return f"unix:{address.decode() if isinstance(address, bytes) else address}"
    host, port = address[:2]
    return f"http://[{host}]:{port}" if sock.family == socket.AF_INET6 else f"http://{host}:{port}"


def notify(state: str) -> bool:
    """Tell the service manager about our state ("READY=1", "STOPPING=1", "STATUS=..."); False when none listens."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
        return True
    except OSError:
        return False


def main(argv=None) -> NoReturn:
    parser = argparse.ArgumentParser(prog="python -m xhands.daemon.ops.systemd", description="Run COMMAND with listening socket(s) passed as in systemd socket activation.")
    parser.add_argument("--fd", type=int, action="append", required=True, help="a listening socket to pass (repeatable)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no COMMAND given")
    # Move the sockets to 3, 4, ... without clobbering one that already sits there.
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD, LISTEN_FDS_START + len(args.fd)) for fd in args.fd]
    for index, fd in enumerate(moved):
        os.dup2(fd, LISTEN_FDS_START + index, inheritable=True)
        os.close(fd)
    os.environ.update(LISTEN_FDS=str(len(moved)), LISTEN_PID=str(os.getpid()))  # exec keeps our pid
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
