"""The action server: rasa-sdk's executor behind a small FastAPI app bound to loopback.

rasa-sdk's own Sanic server always listens on every interface; this app speaks the same
webhook protocol (`POST /webhook`, `GET /health`) on 127.0.0.1 only, and loads the knowledge
base and the area classifier once in its lifespan instead of at import. `POST /area` lends
that classifier to the gateway (its `/api/v1/parse`), which then neither trains a second copy
nor loads scikit-learn.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException
from starlette.concurrency import run_in_threadpool
from threadpoolctl import threadpool_limits

from bot.actions import knowledge_provider
from bot.actions.slot_events import changed_slots_only
from bot.area_classifier import BackgroundAreaClassifier
from bot.contracts.areas import AreaAnswer, AreaQuestion
from bot.settings import Settings, load_settings
from bot.startup_gc import freeze_startup_objects
from knowledge.service import open_knowledge_base

logger = logging.getLogger(__name__)


_thread_state = threading.local()
_ACTION_WORKERS = 32


def _run_action(executor: ActionExecutor, action_call: dict[str, Any]) -> Any:
    """Run one action on a worker thread, on that thread's own event loop.

    Our actions are synchronous work behind rasa-sdk's async interface (search, the e5
    query embedding: up to ~30 ms of CPU). Run on the server's event loop, one such action
    held up every other call queued behind it; on worker threads the calls overlap, and the
    embedding (native code, outside the GIL) uses the second core."""
    loop = getattr(_thread_state, "loop", None)
    if loop is None:
        loop = _thread_state.loop = asyncio.new_event_loop()
    return loop.run_until_complete(executor.run(action_call))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # One BLAS thread: the per-phrase cosines (a few thousand rows) are large enough for
        # OpenBLAS to start its threads, which spin while they wait; with the other core busy
        # that cost 10–30 ms of CPU a turn (make bench) for a product that takes 0.05 ms alone.
        threadpool_limits(limits=1, user_api="blas")
        knowledge = open_knowledge_base(settings)
        knowledge_provider.install(knowledge, BackgroundAreaClassifier(settings))
        executor = ActionExecutor()
        executor.register_package("bot.actions")
        app.state.executor = executor
        # More workers than citizens usually wait at once: a quick action must not queue
        # behind several questions that wait their turn for the e5 model (asyncio's default
        # pool has cpu_count + 4 = 6 workers here).
        app.state.workers = ThreadPoolExecutor(max_workers=_ACTION_WORKERS, thread_name_prefix="action")
        logger.info("动作服务已就绪：%d 个事项", knowledge.item_count())
        freeze_startup_objects()
        yield
        app.state.workers.shutdown(wait=False, cancel_futures=True)
        knowledge_provider.install(None)

    app = FastAPI(title="政务咨询助手 动作服务", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "items": knowledge_provider.current().item_count()}

    @app.post("/area", response_model=AreaAnswer)
    async def area(question: AreaQuestion) -> AreaAnswer:
        classifier = knowledge_provider.area_classifier()
        if classifier is None:  # only between a lifespan's end and the process's
            raise HTTPException(status_code=503, detail="领域分类模型未加载")
        # The first call after start waits for the classifier's training (a few seconds).
        guess = await run_in_threadpool(classifier.predict, question.text)
        return AreaAnswer(area=guess.area, confidence=round(guess.confidence, 4), explicit=guess.explicit)

    @app.post("/webhook")
    async def webhook(request: Request) -> JSONResponse:
        # Rasa sends the whole conversation with every call (tens of KB once it has gone on a
        # few turns); orjson reads it in about a fifth of the standard library's time.
        body = await request.body()
        try:
            action_call = orjson.loads(body)
        except orjson.JSONDecodeError:  # NaN or Infinity, which Rasa's json.dumps may write
            action_call = json.loads(body)
        # Our Rasa asks for a selective domain (bot/runner.py), so calls come without one and
        # without the digest rasa-sdk would check it against; none of our actions reads it.
        action_call.setdefault("domain", {})
        executor: ActionExecutor = request.app.state.executor
        try:
            workers: ThreadPoolExecutor = request.app.state.workers
            result = await asyncio.get_running_loop().run_in_executor(
                workers, _run_action, executor, action_call
            )
        except ActionExecutionRejection as exc:
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=400)
        except ActionNotFoundException as exc:
            logger.error("未知动作：%s", exc.action_name)
            return JSONResponse({"error": exc.message, "action_name": exc.action_name}, status_code=404)
        if result is None:
            return JSONResponse(None)
        reply = result.model_dump()
        slots = action_call.get("tracker", {}).get("slots") or {}
        reply["events"] = changed_slots_only(reply["events"], slots)
        return JSONResponse(reply)

    return app
