"""Bounded bodies, header and body read times, and requests in progress, tested with raw
sockets against the real uvicorn configuration (``service.server``) on a loopback port."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from service.components.embeddings import Embedder
from service.settings import Settings

from .support import LiveServer, make_app, with_

BODY_LIMIT = 4096
DOCS_LIMIT = 8192
BODY_TIMEOUT_S = 1.5
HEADER_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def live(indexed: Settings, embedder: Embedder) -> Iterator[LiveServer]:
    settings = with_(
        indexed,
        server={
            "max_body_bytes": BODY_LIMIT,
            "body_timeout_s": BODY_TIMEOUT_S,
            "header_timeout_s": HEADER_TIMEOUT_S,
            "keep_alive_timeout_s": 1.0,
            "max_concurrent_requests": 2,
        },
        documents={"max_request_bytes": DOCS_LIMIT},
        rate_limit={"enabled": False},
    )
    with LiveServer(make_app(settings, embedder), settings) as server:
        yield server


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response (Content-Length framed, as every error here is)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def chunked_head(path: str, content_type: str = "application/json") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/ask", BODY_LIMIT),
        ("/ask/stream", BODY_LIMIT),
        ("/v1/chat/completions", BODY_LIMIT),
        ("/documents", DOCS_LIMIT),
    ],
)
def test_a_chunked_body_is_cut_off_at_the_limit(live: LiveServer, path: str, limit: int) -> None:
    total = 64 * 1024 * 1024  # far more than any socket buffers hold
    piece = b"x" * 16384
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    sent = 0
    with live.connect() as sock:
        sock.sendall(chunked_head(path))
        sock.settimeout(5)
        try:
            while sent < total:
                sock.sendall(chunk)
                sent += len(piece)
        except OSError:
            pass  # the server answered and closed: it stopped reading, as it should
        assert sent < total, "the server read a 64 MB body in full"
        status, headers, body = read_response(sock)
    assert status == 413, body
    assert json.loads(body)["error"] == "payload_too_large"
    assert str(limit) in json.loads(body)["detail"]
    assert headers.get("connection") == "close"


def test_a_declared_length_over_the_limit_is_refused_before_reading(live: LiveServer) -> None:
    with live.connect() as sock:
        sock.sendall(b"POST /sources HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{")
        status, _, body = read_response(sock)
    assert status == 413 and json.loads(body)["error"] == "payload_too_large"


def test_a_body_that_trickles_in_ends_in_408(live: LiveServer) -> None:
    with live.connect() as sock:
        sock.sendall(
            b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 200\r\n\r\n{"question": '
        )
        started = time.monotonic()
        status, _, body = read_response(sock)
        waited = time.monotonic() - started
    assert status == 408, body
    assert json.loads(body)["error"] == "request_timeout"
    assert BODY_TIMEOUT_S - 0.2 < waited < BODY_TIMEOUT_S + 3


def test_slow_headers_are_cut_off(live: LiveServer) -> None:
    socks = [live.connect() for _ in range(20)]
    try:
        for s in socks:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        for s in socks:
            s.settimeout(HEADER_TIMEOUT_S + 5)
            assert s.recv(1024) == b""  # closed by the server, nothing answered
        assert time.monotonic() - started < HEADER_TIMEOUT_S + 3
    finally:
        for s in socks:
            s.close()


def test_an_idle_kept_alive_connection_is_closed(live: LiveServer) -> None:
    with live.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, _ = read_response(sock)
        assert status == 200
        started = time.monotonic()
        sock.settimeout(10)
        assert sock.recv(1024) == b""
        assert time.monotonic() - started < 4


def test_requests_beyond_the_concurrency_bound_get_503_and_probes_still_answer(
    live: LiveServer,
) -> None:
    held = [live.connect() for _ in range(2)]
    try:
        for s in held:  # two requests in progress, waiting for bodies that do not come
            s.sendall(b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
        time.sleep(0.3)
        busy = httpx.post(live.url + "/ask", json={"question": "Who is Witkoff?"}, timeout=5)
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"] == "overloaded" and busy.headers["retry-after"] == "1"
        assert httpx.get(live.url + "/health", timeout=5).status_code == 200
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + 5
    while True:  # the slots free as soon as the held requests end
        after = httpx.post(live.url + "/ask", json={"question": "Who is Witkoff?"}, timeout=10)
        if after.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert after.status_code == 200, after.text
