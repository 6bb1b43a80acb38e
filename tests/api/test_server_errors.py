"""What waitress refuses before the app sees it, and OPTIONS, answer in the envelope on a real port.

Requests are written raw over a socket: an HTTP client library would refuse to send most of them.
"""

from __future__ import annotations

import json
import logging
import socket

import pytest

from appliance.api.server import HubServer
from tests.hubkit import hub_config, running_hub

HOST = b"Host: 127.0.0.1\r\n"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    with running_hub(hub_config(tmp_path_factory.mktemp("hub"))) as handle:
        yield handle


def exchange(port: int, request: bytes) -> tuple[int, dict, dict]:
    """Send `request`, read the answer until the hub closes; (status, headers, parsed body)."""
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(request)
        except OSError:
            pass  # the hub answered and closed before reading all of it; its answer is queued
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass  # the hub closed with our unread bytes: the answer came before the reset
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def assert_envelope(answer, status: int, code: int) -> dict:
    got_status, headers, body = answer
    assert (got_status, body["code"]) == (status, code), body
    assert set(body) == {"code", "message", "data"}
    assert headers["content-type"].startswith("application/json")
    if code:
        assert headers["connection"] == "close"
        assert body["message"].endswith(".") and "Traceback" not in body["message"]
    return body


def port(hub) -> int:
    return hub.server.port


def test_a_body_over_the_limit_is_41301_at_its_headers(hub):
    request = (b"POST /api/v1/task HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
               b"Content-Length: 10485760\r\n\r\n{\"serials\": [")
    body = assert_envelope(exchange(port(hub), request), 413, 41301)
    assert str(hub.config.max_body_bytes) in body["message"]


def test_headers_over_the_limit_are_431_with_40001(hub):
    request = (b"GET /api/v1/task/stats HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 300_000
               + b"\r\n\r\n")
    body = assert_envelope(exchange(port(hub), request), 431, 40001)
    assert "headers" in body["message"]


@pytest.mark.parametrize("request_line", [
    b"GET /api/v1/task/\xff\xfe HTTP/1.1",        # bytes no URL may hold
    b"GET /api/v1/task stats HTTP/1.1",           # a space in the path
    b"HELLO",                                     # not a request line at all
])
def test_a_malformed_request_line_is_400_with_40001(hub, request_line):
    assert_envelope(exchange(port(hub), request_line + b"\r\n" + HOST + b"\r\n"), 400, 40001)


def test_an_unreadable_header_is_400_with_40001(hub):
    request = b"POST /api/v1/task HTTP/1.1\r\n" + HOST + b"Content-Length: lots\r\n\r\n"
    body = assert_envelope(exchange(port(hub), request), 400, 40001)
    assert "Content-Length" in body["message"]


def test_an_unsupported_transfer_encoding_is_501_with_40001(hub):
    request = b"POST /api/v1/task HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip\r\n\r\n"
    body = assert_envelope(exchange(port(hub), request), 501, 40001)
    assert "Content-Length" in body["message"]


def test_options_lists_the_methods_of_the_route(hub):
    answer = exchange(port(hub), b"OPTIONS /api/v1/task HTTP/1.1\r\n" + HOST
                      + b"Connection: close\r\n\r\n")
    body = assert_envelope(answer, 200, 0)
    assert body["data"] == {"allow": ["GET", "POST"]}
    assert answer[1]["allow"] == "GET, POST"


def test_options_on_an_unknown_route_is_40401(hub):
    answer = exchange(port(hub), b"OPTIONS /api/v1/nope HTTP/1.1\r\n" + HOST
                      + b"Connection: close\r\n\r\n")
    assert_envelope(answer, 404, 40401)


def test_options_meets_the_access_rule(make_client):
    client, _ = make_client()
    result = client.simulate_options("/api/v1/task", remote_addr="203.0.113.9")
    assert (result.status_code, result.json["code"]) == (401, 40101)


def test_an_app_that_fails_inside_waitress_is_50001_without_its_traceback(caplog):
    def broken_app(environ, start_response):
        raise RuntimeError("secret detail")

    server = HubServer(broken_app, "127.0.0.1", 0)
    server.start()
    try:
        with caplog.at_level(logging.ERROR, logger="waitress"):
            body = assert_envelope(exchange(server.port, b"GET / HTTP/1.1\r\n" + HOST + b"\r\n"),
                                   500, 50001)
    finally:
        server.stop(1)
    assert "secret" not in body["message"]
    assert "secret detail" in caplog.text   # the hub's log keeps what went wrong
