"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: every dependency a
citizen's answer needs is reachable: Rasa with a model, the action server, DB, index)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.gateway.deps import KnowledgeDep, RasaDep, StoreDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check(probe: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    try:
        detail = await probe()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, **({"detail": detail} if detail is not None else {})}


@router.get("/readyz", responses={503: {"description": "某项依赖不可用，checks 指出是哪一项"}})
async def readyz(rasa: RasaDep, store: StoreDep, knowledge: KnowledgeDep) -> JSONResponse:
    async def index() -> str:
        count = await run_in_threadpool(knowledge.item_count)
        if not count:
            raise LookupError("index empty")
        return f"{count} items"

    names = ("rasa", "actions", "database", "index")
    results = await asyncio.gather(
        _check(rasa.rasa_ready),
        _check(rasa.actions_ready),
        _check(lambda: run_in_threadpool(store.ping)),
        _check(index),
    )
    checks = dict(zip(names, results, strict=True))
    ready = all(check["ok"] for check in results)
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "not_ready", "checks": checks},
    )
