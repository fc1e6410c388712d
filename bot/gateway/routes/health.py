"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: every dependency a
citizen's answer needs is reachable: Rasa with a model, the action server, DB, index)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.gateway.deps import BusDep, KnowledgeDep, RasaDep, SettingsDep, StoreDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check(probe: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    try:
        detail = await probe()
    except RuntimeError as exc:  # our own probes' findings (which Rasa server is down)
        return {"ok": False, "error": type(exc).__name__, "detail": str(exc)}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, **({"detail": detail} if detail is not None else {})}


@router.get("/readyz", responses={503: {"description": "某项依赖不可用，down 列出是哪几项"}})
async def readyz(
    rasa: RasaDep, store: StoreDep, knowledge: KnowledgeDep, bus: BusDep, settings: SettingsDep
) -> JSONResponse:
    """Each part's state; `down` names the parts that are not (rasa, actions, database,
    index, and redis when `REDIS_URL` is set)."""

    async def index() -> str:
        count = await run_in_threadpool(knowledge.item_count)
        if not count:
            raise LookupError("index empty")
        return f"{count} items"

    probes: dict[str, Callable[[], Awaitable[Any]]] = {
        "rasa": rasa.rasa_ready,
        "actions": rasa.actions_ready,
        "database": lambda: run_in_threadpool(store.ping),
        "index": index,
    }
    if settings.redis_url:
        probes["redis"] = bus.ping
    results = await asyncio.gather(*(_check(probe) for probe in probes.values()))
    checks = dict(zip(probes, results, strict=True))
    down = [name for name, check in checks.items() if not check["ok"]]
    return JSONResponse(
        status_code=503 if down else 200,
        content={"status": "not_ready" if down else "ready", "down": down, "checks": checks},
    )
