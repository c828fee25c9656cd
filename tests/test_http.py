"""HTTP around the API: the bearer token and unknown routes and methods, answered in the Error shape, and
requests aiohttp itself rejects."""

import socket

import httpx
import pytest

from tests.daemons import start_daemon

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def guarded(xvfb):
    daemon = start_daemon("--token", TOKEN)
    yield daemon
    daemon.stop()


def raw_request(url: str, request: bytes) -> bytes:
    """Send bytes as they are (no client would send them malformed) and read the whole answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("authorization", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER {TOKEN}", f"bEaReR   {TOKEN}"])
def test_the_bearer_scheme_is_case_insensitive(guarded, authorization):
    response = httpx.post(f"{guarded.url}/computer/get_mouse_position", headers={"Authorization": authorization})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("authorization", ["", TOKEN, f"Basic {TOKEN}", f"Bearer{TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_other_authorizations_are_refused(guarded, authorization):
    response = httpx.post(f"{guarded.url}/computer/get_mouse_position", headers={"Authorization": authorization})
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "`Authorization: Bearer <token>`" in response.json()["message"], "it says how to send the token"


def test_a_token_that_is_not_ascii_is_refused_not_a_crash(guarded):
    answer = raw_request(guarded.url, b"POST /computer/get_mouse_position HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                      b"Authorization: Bearer \xff\xfe\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 401 "), answer


@pytest.mark.parametrize(
    "path, says",
    [
        ("/computer/type_text", "the route is /computer/type (type_text is the batch action's name)"),
        ("/browsers/b1/computer/type_text", "the route is /browsers/b1/computer/type (type_text is the batch action's name)"),
        ("/computer/read_clipboard", "the route is /computer/clipboard/read (read_clipboard is the batch action's name)"),
        ("/computer/set_cursor", "the route is /computer/cursor (set_cursor is the batch action's name)"),
        ("/computer/clik_mouse", "did you mean /computer/click_mouse?"),
        ("/browsers/b1/computer/screenshots", "did you mean /browsers/b1/computer/screenshot?"),
        ("/computer/clipboard/wirte", "did you mean /computer/clipboard/write?"),
        ("/compute/batch", "did you mean /computer/batch?"),  # /computers/... is Lightcone's
        ("/helth", "did you mean /health?"),
        ("/computer/zzzzzzzz", "/openapi.json lists the routes"),
    ],
)
def test_an_unknown_route_names_the_close_one(client, path, says):
    response = client.post(path)
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "not_found" and body["message"] == f"no route POST {path}{':' if 'route is' in says else ';'} {says}"


def test_the_root_points_to_the_view_and_the_routes(client):
    response = client.get("/")
    assert response.status_code == 404
    assert response.json()["message"] == ("no route GET /: the API is under /computer; /view shows the screen, "
                                          "/openapi.json lists the routes")


def test_a_wrong_method_is_405_with_allow(client):
    response = client.get("/computer/click_mouse")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    body = response.json()
    assert body["code"] == "method_not_allowed" and body["message"] == "GET is not allowed on /computer/click_mouse; use POST"
    assert client.post("/health").headers["Allow"] == "GET,HEAD"


MOVE = b"POST /computer/move_mouse HTTP/1.1\r\nHost: 127.0.0.1\r\n"
TO = b'{"x": 123, "y": 45}'
SIZED = b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(TO)


@pytest.mark.parametrize(
    "request_bytes, says",
    [
        (b"GARBAGE\r\n\r\n", "Invalid method"),
        (b"GET /health HTTP/9.9\r\n\r\n", "Invalid HTTP version"),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", "more than 8190 bytes"),
        (MOVE + SIZED + b"Bad Header: x\r\n\r\n" + TO, "Invalid header token"),
        (MOVE + SIZED + b"X-Thing: a\x01b\r\n\r\n" + TO, "Invalid header value char"),
        (MOVE + SIZED + b"Content-Length: %d\r\n\r\n" % (len(TO) + 1) + TO + b" ", "Duplicate Content-Length"),
        (MOVE + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + TO + b"\r\n0\r\n\r\n", "Invalid character in chunk size"),
    ],
    ids=["request-line", "version", "long-line", "header-name", "header-value", "content-length", "chunked"],
)
def test_requests_aiohttp_rejects_get_its_400_and_run_nothing(daemon, client, request_bytes, says):
    """No conforming client sends these; aiohttp answers them itself, before any route (it has no public way
    to shape that answer): its own 400 saying what is wrong, and the connection closed (the read ends)."""
    client.post("/computer/move_mouse", json={"x": 7, "y": 8}).raise_for_status()
    head, _, body = raw_request(daemon.url, request_bytes).partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].split()[1] == b"400", head
    assert says.encode() in body
    assert client.post("/computer/get_mouse_position").json() == {"x": 7, "y": 8}  # the move never ran
