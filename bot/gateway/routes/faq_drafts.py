"""The learning loop's review desk: staff propose FAQ pairs from their answers; an admin
publishes one into the knowledge base (store of record, then the index) or rejects it."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from bot.contracts.areas import Area
from bot.gateway.auth import AdminStaffDep, StaffDep
from bot.gateway.deps import KnowledgeDep, SettingsDep
from bot.gateway.errors import error_responses
from bot.gateway.params import RowId
from bot.persistence.faq_drafts import DraftStatus, DraftView, FaqDraftStore
from bot.settings import Settings
from knowledge.configure import knowledge_paths
from knowledge.indexing import apply_faq_change
from knowledge.schema import FaqEntry
from knowledge.search import KnowledgeBase
from knowledge.service import make_backend
from knowledge.store import KnowledgeStore

router = APIRouter(prefix="/api/v1/kb/drafts", tags=["knowledge"], responses=error_responses(401, 403))


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: Area
    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=300)]
    answer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=2000)]


def _drafts(request: Request) -> FaqDraftStore:
    return cast(FaqDraftStore, request.app.state.faq_drafts)


async def _pending(request: Request, draft_id: int) -> DraftView:
    draft = await run_in_threadpool(_drafts(request).get, draft_id)
    if draft is None:
        raise HTTPException(status_code=404, detail=f"没有编号为 {draft_id} 的草稿")
    if draft.status != DraftStatus.draft:
        raise HTTPException(status_code=409, detail=f"草稿 {draft_id} 已审核（{draft.status.value}）")
    return draft


@router.post("", status_code=201)
async def propose(request: Request, body: DraftRequest, staff: StaffDep) -> dict[str, Any]:
    if not staff.may_handle(body.area.value):
        raise HTTPException(status_code=403, detail=f"您不负责「{body.area.value}」领域")
    draft = await run_in_threadpool(
        _drafts(request).add, body.area.value, body.question, body.answer, staff.id, None
    )
    return draft.as_json()


@router.get("")
async def list_drafts(
    request: Request, _admin: AdminStaffDep, status: DraftStatus | None = DraftStatus.draft
) -> dict[str, Any]:
    drafts = await run_in_threadpool(_drafts(request).listing, status)
    return {"drafts": [d.as_json() for d in drafts]}


def publish_faq(settings: Settings, store: KnowledgeStore, knowledge: KnowledgeBase, faq: FaqEntry) -> None:
    revision = store.upsert_faq(faq, "staff")
    backend = make_backend(settings)
    try:
        apply_faq_change(knowledge_paths(settings), store, backend, revision, faq)
    finally:
        backend.close()
    knowledge.refresh(force=True)


@router.post("/{draft_id}/publish", responses=error_responses(404, 409))
async def publish(
    request: Request, draft_id: RowId, _admin: AdminStaffDep, settings: SettingsDep, knowledge: KnowledgeDep
) -> dict[str, Any]:
    draft = await _pending(request, draft_id)
    faq = FaqEntry(
        id=f"{draft.area}.staff_{draft.id}", area=Area(draft.area), q=draft.question, a=draft.answer
    )
    if not await run_in_threadpool(_drafts(request).review, draft_id, DraftStatus.published, faq.id):
        raise HTTPException(status_code=409, detail=f"草稿 {draft_id} 已由他人审核")
    await run_in_threadpool(publish_faq, settings, request.app.state.knowledge_store, knowledge, faq)
    return {"published": faq.model_dump(mode="json")}


@router.post("/{draft_id}/reject", responses=error_responses(404, 409))
async def reject(request: Request, draft_id: RowId, _admin: AdminStaffDep) -> dict[str, Any]:
    await _pending(request, draft_id)
    if not await run_in_threadpool(_drafts(request).review, draft_id, DraftStatus.rejected):
        raise HTTPException(status_code=409, detail=f"草稿 {draft_id} 已由他人审核")
    return {"rejected": draft_id}
