"""Knowledge API: search and read for everyone; create, replace and delete for admins.

Admin calls need `Authorization: Bearer <ADMIN_TOKEN>`; with no token configured the write
endpoints are closed, never open. Each change is written to the store of record and applied
to the search index incrementally before the response returns.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from bot.gateway.deps import KnowledgeDep, SettingsDep
from bot.gateway.errors import error_responses
from bot.settings import Settings
from knowledge.configure import knowledge_paths
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


@dataclass(frozen=True)
class KnowledgeEditor:
    """Writes one change to the store of record, then brings the index and this process's
    reader up to date before the request returns."""

    settings: Settings
    store: KnowledgeStore
    knowledge: KnowledgeBase

    def exists(self, item_id: str) -> bool:
        return self.store.item(item_id) is not None

    def save(self, item: ServiceItem) -> None:
        self._apply(self.store.upsert_items([item], "api"), upserted=[item])

    def delete(self, item_id: str) -> bool:
        revision = self.store.delete_item(item_id)
        if revision is not None:
            self._apply(revision, deleted=[item_id])
        return revision is not None

    def _apply(
        self, revision: int, upserted: Sequence[ServiceItem] = (), deleted: Sequence[str] = ()
    ) -> None:
        backend = make_backend(self.settings)
        try:
            apply_item_changes(
                knowledge_paths(self.settings), self.store, backend, revision, upserted, deleted
            )
        finally:
            backend.close()
        self.knowledge.refresh(force=True)


def get_editor(request: Request, settings: SettingsDep, knowledge: KnowledgeDep) -> KnowledgeEditor:
    return KnowledgeEditor(settings, request.app.state.knowledge_store, knowledge)


EditorDep = Annotated[KnowledgeEditor, Depends(get_editor)]


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


@router.get("/items/{item_id}", responses=error_responses(404))
async def get_item(item_id: str, knowledge: KnowledgeDep) -> dict[str, Any]:
    item = await run_in_threadpool(knowledge.item, item_id)
    if item is None:
        raise HTTPException(status_code=404, detail=f"没有编号为 {item_id} 的事项")
    return item.model_dump(mode="json")


@router.post("/items", status_code=201, responses=error_responses(401, 403, 409))
async def create_item(item: ServiceItem, _admin: AdminDep, editor: EditorDep) -> dict[str, Any]:
    if await run_in_threadpool(editor.exists, item.id):
        raise HTTPException(status_code=409, detail=f"事项 {item.id} 已存在，请用 PUT 修改")
    await run_in_threadpool(editor.save, item)
    return item.model_dump(mode="json")


@router.put("/items/{item_id}", responses=error_responses(401, 403, 404))
async def replace_item(
    item_id: str, item: ServiceItem, _admin: AdminDep, editor: EditorDep
) -> dict[str, Any]:
    if item.id != item_id:
        raise HTTPException(status_code=422, detail=f"路径中的编号 {item_id} 与内容中的 id {item.id} 不一致")
    if not await run_in_threadpool(editor.exists, item_id):
        raise HTTPException(status_code=404, detail=f"没有编号为 {item_id} 的事项")
    await run_in_threadpool(editor.save, item)
    return item.model_dump(mode="json")


@router.delete("/items/{item_id}", status_code=204, responses=error_responses(401, 403, 404))
async def delete_item(item_id: str, _admin: AdminDep, editor: EditorDep) -> Response:
    if not await run_in_threadpool(editor.delete, item_id):
        raise HTTPException(status_code=404, detail=f"没有编号为 {item_id} 的事项")
    return Response(status_code=204)
