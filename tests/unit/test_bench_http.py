"""The benchmark's own HTTP client against a real loopback server: kept-alive reuse, chunked
bodies, a server that closes an idle connection first, and failures reported as HttpError."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest

from bot.benchmark.http import HttpError, JsonConnection

Reply = Callable[[int, dict[str, object]], bytes]


def _fixed_length(number: int, payload: dict[str, object]) -> bytes:
    body = json.dumps({"echo": payload, "request": number}).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def _chunked(number: int, payload: dict[str, object]) -> bytes:
    body = json.dumps({"echo": payload, "request": number}).encode()
    head, tail = body[:5], body[5:]
    return (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%s\r\n%x;ext=1\r\n%s\r\n0\r\n\r\n" % (len(head), head, len(tail), tail)
    )


async def _serve(reply: Reply, close_after: int | None) -> AsyncIterator[tuple[str, list[int]]]:
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(0)
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            payload = json.loads(await reader.readexactly(length))
            connections[-1] += 1
            writer.write(reply(len(connections), payload))
            await writer.drain()
            if close_after is not None and connections[-1] >= close_after:
                break  # an idle timeout: the server closes the kept-alive connection
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", connections


@pytest.fixture
async def kept_alive() -> AsyncIterator[tuple[str, list[int]]]:
    async for served in _serve(_fixed_length, close_after=None):
        yield served


async def test_requests_share_one_kept_alive_connection(kept_alive: tuple[str, list[int]]) -> None:
    url, connections = kept_alive
    connection = JsonConnection(url)
    for n in range(3):
        status, body = await connection.post("/chat", {"n": n, "text": "你好"})
        assert status == 200 and body == {"echo": {"n": n, "text": "你好"}, "request": 1}
    await connection.close()
    assert connections == [3]


async def test_chunked_body_and_a_server_that_closes_first() -> None:
    async for url, connections in _serve(_chunked, close_after=1):
        connection = JsonConnection(url)
        first = await connection.post("/x", {"a": 1})
        await asyncio.sleep(0.05)  # the server has closed its side by now
        second = await connection.post("/x", {"a": 2})
        await connection.close()
        assert first == (201, {"echo": {"a": 1}, "request": 1})
        assert second == (201, {"echo": {"a": 2}, "request": 2})
        assert connections == [1, 1]


async def test_refused_connection_is_an_http_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(HttpError):
        await JsonConnection(f"http://127.0.0.1:{port}").post("/x", {})


def test_only_plain_http_urls() -> None:
    with pytest.raises(ValueError, match="http://host:port"):
        JsonConnection("https://example.org")
