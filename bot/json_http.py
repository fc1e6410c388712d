"""A lean HTTP/1.1 client for JSON over loopback, on bare asyncio streams: kept-alive
connections, one request at a time each.

Two callers do one small JSON exchange per citizen turn, where a general client's own cost
showed: the load generator (one connection per simulated citizen: on two cores it competes
with the system it measures, and its time is inside every latency it records; httpx spent
about 2 ms of CPU per turn there) and the gateway's calls to Rasa (httpx was 12% of the
gateway's CPU per turn in a py-spy profile, most of it connection-pool bookkeeping).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit


class HttpError(Exception):
    """The exchange failed: connection refused or dropped, malformed response, timeout."""


class JsonConnection:
    def __init__(self, base_url: str, timeout: float = 120.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only plain http://host:port URLs are supported, not {base_url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._timeout = timeout
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, path: str, payload: Any) -> tuple[int, Any]:
        """POST `payload` as JSON; returns the status and the decoded JSON body (None if the
        body is empty or not JSON)."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        return await self._request(head + body)

    async def get(self, path: str) -> tuple[int, Any]:
        """GET `path`; returns the status and the decoded JSON body (None if not JSON)."""
        return await self._request(f"GET {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n\r\n".encode())

    async def _request(self, request: bytes) -> tuple[int, Any]:
        try:
            return await asyncio.wait_for(self._exchange(request), self._timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            await self.close()
            raise HttpError(repr(exc)) from exc

    async def _exchange(self, request: bytes) -> tuple[int, Any]:
        reused = self._streams is not None
        try:
            reader, status_line = await self._send(request)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                raise
            # The server closed the idle kept-alive connection first: once more on a new one.
            await self.close()
            reader, status_line = await self._send(request)
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[bytes, bytes] = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"content-length" in headers:
            content = await reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding") == b"chunked":
            content = await _read_chunked(reader)
        else:
            content = await reader.read()
            headers[b"connection"] = b"close"
        if headers.get(b"connection") == b"close":
            await self.close()
        try:
            return status, json.loads(content) if content else None
        except ValueError:
            return status, None

    async def _send(self, request: bytes) -> tuple[asyncio.StreamReader, bytes]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        writer.write(request)
        return reader, await reader.readuntil(b"\r\n")

    async def close(self) -> None:
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def discard(self) -> None:
        """Drop the connection at once (a request was interrupted half-way: what the server
        sends next belongs to it, so the connection cannot serve another)."""
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


class JsonConnectionPool:
    """Kept-alive connections to one server for many concurrent requests: an idle one is
    reused, a new one opened when none is idle; at most `keep` idle ones are kept."""

    def __init__(self, base_url: str, timeout: float, keep: int = 16) -> None:
        JsonConnection(base_url)  # validates the URL now rather than on first use
        self._base_url = base_url
        self._timeout = timeout
        self._keep = keep
        self._idle: list[JsonConnection] = []

    async def post(self, path: str, payload: Any) -> tuple[int, Any]:
        return await self._exchange(lambda connection: connection.post(path, payload))

    async def get(self, path: str) -> tuple[int, Any]:
        return await self._exchange(lambda connection: connection.get(path))

    async def _exchange(
        self, request: Callable[[JsonConnection], Awaitable[tuple[int, Any]]]
    ) -> tuple[int, Any]:
        connection = self._idle.pop() if self._idle else JsonConnection(self._base_url, self._timeout)
        try:
            result = await request(connection)
        except HttpError:
            raise  # the connection closed itself
        except BaseException:
            connection.discard()  # cancelled mid-exchange
            raise
        if len(self._idle) < self._keep:
            self._idle.append(connection)
        else:
            connection.discard()
        return result

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
        pass
    return b"".join(chunks)
