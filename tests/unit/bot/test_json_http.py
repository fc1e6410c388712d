"""The lean JSON client (load generator, gateway → Rasa) against a real loopback server:
kept-alive reuse, chunked bodies, a server that closes an idle connection first, failures
reported as HttpError, and the gateway's pool under concurrency and cancellation."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import pytest

from bot.json_http import HttpError, JsonConnection, JsonConnectionPool

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
            if head.startswith(b"GET "):
                payload: dict[str, object] = {"get": head.split(b" ")[1].decode()}
            else:
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                payload = json.loads(await reader.readexactly(length))
            connections[-1] += 1
            await asyncio.sleep(float(str(payload.get("delay", 0))))
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


async def test_the_pool_reuses_idle_connections_under_concurrency(kept_alive: tuple[str, list[int]]) -> None:
    url, connections = kept_alive
    pool = JsonConnectionPool(url, timeout=10)
    burst = await asyncio.gather(*(pool.post("/chat", {"n": n, "delay": 0.05}) for n in range(4)))
    assert [body["echo"]["n"] for _, body in burst] == [0, 1, 2, 3]
    for n in range(6):
        assert (await pool.get(f"/status?n={n}"))[1]["echo"] == {"get": f"/status?n={n}"}
    await pool.close()
    assert len(connections) == 4 and sum(connections) == 10  # the burst's four, then reused


async def test_an_interrupted_request_never_hands_its_connection_to_the_next(
    kept_alive: tuple[str, list[int]],
) -> None:
    url, connections = kept_alive
    pool = JsonConnectionPool(url, timeout=10)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await pool.post("/slow", {"delay": 0.3})
    status, body = await pool.post("/chat", {"n": 1})
    await pool.close()
    # Reused, the connection would have delivered the slow request's late reply instead.
    assert (status, body["echo"]) == (200, {"n": 1})
    assert connections == [1, 1]
