"""Knowledge API: search and read for everyone; create, replace and delete for admins.

Admin calls need `Authorization: Bearer <ADMIN_TOKEN>`; with no token configured the write
endpoints are closed, never open. Each change is written to the store of record and applied
to the search index incrementally before the response returns.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from bot.gateway.deps import KnowledgeDep, SettingsDep
from bot.settings import Settings
from knowledge.indexing import apply_item_changes
from knowledge.schema import ServiceItem
from knowledge.search import KnowledgeBase
from knowledge.service import make_backend
from knowledge.store import KnowledgeStore

router = APIRouter(prefix="/api/v1/kb", tags=["knowledge"])


def require_admin(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> None:
    if not settings.admin_token:
        raise HTTPException(status_code=403, detail="知识库管理接口未启用（未设置 ADMIN_TOKEN）")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        token.encode(), settings.admin_token.encode()
    ):
        raise HTTPException(status_code=401, detail="需要管理员令牌", headers={"WWW-Authenticate": "Bearer"})


AdminDep = Annotated[None, Depends(require_admin)]


def get_knowledge_store(request: Request) -> KnowledgeStore:
    store: KnowledgeStore = request.app.state.knowledge_store
    return store


KnowledgeStoreDep = Annotated[KnowledgeStore, Depends(get_knowledge_store)]


@router.get("/search")
async def search(
    knowledge: KnowledgeDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="问题")],
    k: Annotated[int, Query(ge=1, le=20)] = 3,
) -> dict[str, Any]:
    hits = await run_in_threadpool(knowledge.search, q, k)
    return {
        "query": q,
        "hits": [
            {
                "id": hit.item.id,
                "name": hit.item.name,
                "area": hit.item.area.value,
                "confidence": hit.confidence,
                "matched_by": hit.matched_by,
            }
            for hit in hits
        ],
    }


@router.get("/items/{item_id}")
async def get_item(item_id: str, knowledge: KnowledgeDep) -> dict[str, Any]:
    item = await run_in_threadpool(knowledge.item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail=f"没有编号为 {item_id} 的事项")
    return item.model_dump(mode="json")


def _apply(
    settings: Settings,
    store: KnowledgeStore,
    knowledge: KnowledgeBase,
    revision: int,
    upserted: list[ServiceItem],
    deleted: list[str],
) -> None:
    backend = make_backend(settings)
    try:
        apply_item_changes(settings.knowledge_paths(), store, backend, revision, upserted, deleted)
    finally:
        backend.close()
    knowledge.refresh(force=True)


@router.post("/items", status_code=201)
async def create_item(
    item: ServiceItem,
    _admin: AdminDep,
    settings: SettingsDep,
    store: KnowledgeStoreDep,
    knowledge: KnowledgeDep,
) -> dict[str, Any]:
    if await run_in_threadpool(store.item, item.id) is not None:
        raise HTTPException(status_code=409, detail=f"事项 {item.id} 已存在，请用 PUT 修改")
    revision = await run_in_threadpool(store.upsert_items, [item], "api")
    await run_in_threadpool(_apply, settings, store, knowledge, revision, [item], [])
    return item.model_dump(mode="json")


@router.put("/items/{item_id}")
async def replace_item(
    item_id: str,
    item: ServiceItem,
    _admin: AdminDep,
    settings: SettingsDep,
    store: KnowledgeStoreDep,
    knowledge: KnowledgeDep,
) -> dict[str, Any]:
    if item.id != item_id:
        raise HTTPException(status_code=422, detail=f"路径中的编号 {item_id} 与内容中的 id {item.id} 不一致")
    if await run_in_threadpool(store.item, item_id) is None:
        raise HTTPException(status_code=404, detail=f"没有编号为 {item_id} 的事项")
    revision = await run_in_threadpool(store.upsert_items, [item], "api")
    await run_in_threadpool(_apply, settings, store, knowledge, revision, [item], [])
    return item.model_dump(mode="json")


@router.delete("/items/{item_id}", status_code=204)
async def delete_item(
    item_id: str, _admin: AdminDep, settings: SettingsDep, store: KnowledgeStoreDep, knowledge: KnowledgeDep
) -> Response:
    revision = await run_in_threadpool(store.delete_item, item_id)
    if revision is None:
        raise HTTPException(status_code=404, detail=f"没有编号为 {item_id} 的事项")
    await run_in_threadpool(_apply, settings, store, knowledge, revision, [], [item_id])
    return Response(status_code=204)
