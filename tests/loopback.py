"""Serve an ASGI app on a loopback port from a thread (the fake external peers of the tests:
Telegram's Bot API, WeChat's API, a scripted Rasa)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serving(app: Any, port: int) -> Iterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    # A gateway's start-up (migrations, the index) can take well over 10 s on a busy two-core
    # machine; serving before it has started only turns into «connection refused» later.
    deadline = time.monotonic() + 60
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        raise RuntimeError(f"测试服务器没有在 127.0.0.1:{port} 上启动")
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
