"""Tickets for staff: queues per area, the ticket with its transcript, claim, reply, resolve,
close, canned replies, and the console's live WebSocket."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from bot.contracts.areas import Area
from bot.contracts.tickets import TicketStatus
from bot.gateway.auth import READ_ONLY, StaffDep, readable_areas, websocket_staff
from bot.gateway.bus import CONSOLE, EventBus
from bot.gateway.errors import error_responses
from bot.gateway.handoff import HandoffService, message_json, transcript_json
from bot.gateway.params import parse_statuses
from bot.gateway.sockets import Event, error_frame, relay
from bot.persistence.faq_drafts import FaqDraftStore
from bot.persistence.staff import StaffView
from bot.persistence.store import ConversationStore
from bot.persistence.tickets import OPEN_STATUSES, TicketConflictError, TicketStore, TicketView
from knowledge.yaml_io import safe_load

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], responses=error_responses(401, 403))

CANNED_REPLIES = Path(__file__).resolve().parents[2] / "console" / "canned_replies.yml"
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text
    # With a question, the reply is also saved as an FAQ draft for an admin to review.
    faq_question: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""


class TransferRequest(BaseModel):
    """转办: the area the ticket belongs to, and why (kept in the audit trail)."""

    model_config = ConfigDict(extra="forbid")

    area: Area
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=500)]


class FinishRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note = ""


def _tickets(request: Request) -> TicketStore:
    return cast(TicketStore, request.app.state.tickets)


def _handoff(request: Request) -> HandoffService:
    return cast(HandoffService, request.app.state.handoff)


async def _ticket_for(request: Request, case_number: str, staff: StaffView, act: bool = True) -> TicketView:
    """The ticket if this person may see it (404 otherwise, so case numbers of other areas are
    not confirmed) and, with `act`, work on it (403: supervisors only read)."""
    ticket = await run_in_threadpool(_tickets(request).get, case_number)
    if ticket is None or not staff.may_read(ticket.area):
        raise HTTPException(
            status_code=404, detail=f"没有受理编号为 {case_number} 的工单（或不属于您负责的领域）"
        )
    if act and not staff.may_handle(ticket.area):
        raise HTTPException(status_code=403, detail=READ_ONLY)
    return ticket


def _conflict(exc: TicketConflictError) -> HTTPException:
    return HTTPException(status_code=409, detail=str(exc))


@router.get("")
async def list_tickets(
    request: Request,
    staff: StaffDep,
    status: Annotated[str, Query(description="逗号分隔：queued,claimed,resolved,closed")] = "queued,claimed",
    area: Annotated[str, Query()] = "",
    q: Annotated[str, Query(max_length=100, description="受理编号或处理备注中的文字")] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    statuses = parse_statuses(status, (t.value for t in TicketStatus), "工单状态")
    areas = readable_areas(staff, area)
    found = await run_in_threadpool(_tickets(request).search, areas, statuses, q, limit)
    return {"tickets": [await _with_position(request, t) for t in found]}


@router.get("/canned")
async def canned_replies(staff: StaffDep) -> dict[str, list[str]]:
    """Ready-made replies per area, for the areas this staff member works in."""
    data: dict[str, list[str]] = safe_load(CANNED_REPLIES.read_text(encoding="utf-8"))
    areas = staff.visible_areas()
    return {
        area: replies for area, replies in data.items() if area == "common" or areas is None or area in areas
    }


@router.get("/{case_number}", responses=error_responses(404))
async def get_ticket(request: Request, case_number: str, staff: StaffDep) -> dict[str, Any]:
    ticket = await _ticket_for(request, case_number, staff, act=False)
    store = cast(ConversationStore, request.app.state.store)
    messages = await run_in_threadpool(store.messages_after, ticket.conversation_id, 0, 500)
    events = await run_in_threadpool(_tickets(request).events, ticket.conversation_id)
    transfers = await run_in_threadpool(_tickets(request).transfers, ticket.id)
    return {
        **(await _with_position(request, ticket)),
        "messages": transcript_json(messages),
        "events": events,
        "transfers": transfers,
    }


@router.post("/{case_number}/claim", responses=error_responses(404, 409))
async def claim(request: Request, case_number: str, staff: StaffDep) -> dict[str, Any]:
    await _ticket_for(request, case_number, staff)
    try:
        ticket = await _handoff(request).claim(case_number, staff)
    except TicketConflictError as exc:
        raise _conflict(exc) from exc
    return ticket.as_json()


@router.post("/{case_number}/reply", responses=error_responses(404, 409))
async def reply(request: Request, case_number: str, body: ReplyRequest, staff: StaffDep) -> dict[str, Any]:
    await _ticket_for(request, case_number, staff)
    try:
        done = await _handoff(request).reply(case_number, staff, body.text)
    except TicketConflictError as exc:
        raise _conflict(exc) from exc
    draft = None
    if body.faq_question:
        drafts = cast(FaqDraftStore, request.app.state.faq_drafts)
        area = done.ticket.area if done.ticket.area in {a.value for a in Area} else Area.other.value
        saved = await run_in_threadpool(
            drafts.add, area, body.faq_question, body.text, staff.id, done.ticket.id
        )
        draft = saved.as_json()
    return {
        "ticket": done.ticket.as_json(),
        "message": message_json(done.messages[0]),
        "faq_draft": draft,
        # False with a Chinese notice when the reply is stored but the channel could not take it
        # (WeChat only accepts pushed messages within 48 hours of the citizen's last message).
        "pushed": done.notice is None,
        "notice": done.notice,
    }


@router.post("/{case_number}/transfer", responses=error_responses(404, 409))
async def transfer(
    request: Request, case_number: str, body: TransferRequest, staff: StaffDep
) -> dict[str, Any]:
    """Move an open ticket to another area's queue (its holder, an unclaimed ticket's area
    staff, or an admin); the citizen is told which department now handles it."""
    await _ticket_for(request, case_number, staff)
    try:
        done = await _handoff(request).transfer(case_number, staff, body.area, body.reason)
    except TicketConflictError as exc:
        raise _conflict(exc) from exc
    return {"ticket": done.ticket.as_json(), "messages": [message_json(m) for m in done.messages]}


async def _finish(
    request: Request, case_number: str, staff: StaffView, status: TicketStatus, note: str
) -> dict[str, Any]:
    await _ticket_for(request, case_number, staff)
    try:
        done = await _handoff(request).finish(case_number, staff, status, note)
    except TicketConflictError as exc:
        raise _conflict(exc) from exc
    return {
        "ticket": done.ticket.as_json(),
        "messages": [message_json(m) for m in done.messages],
        "pushed": done.notice is None,
        "notice": done.notice,
    }


@router.post("/{case_number}/resolve", responses=error_responses(404, 409))
async def resolve(request: Request, case_number: str, body: FinishRequest, staff: StaffDep) -> dict[str, Any]:
    """Answered: the conversation goes back to the bot, which asks for a rating."""
    return await _finish(request, case_number, staff, TicketStatus.resolved, body.note)


@router.post("/{case_number}/close", responses=error_responses(404, 409))
async def close(request: Request, case_number: str, body: FinishRequest, staff: StaffDep) -> dict[str, Any]:
    return await _finish(request, case_number, staff, TicketStatus.closed, body.note)


async def _with_position(request: Request, ticket: TicketView) -> dict[str, Any]:
    position = await run_in_threadpool(_tickets(request).queue_position, ticket)
    return {**ticket.as_json(), "queue_position": position}


@router.websocket("/ws")
async def console_events(websocket: WebSocket) -> None:
    """Live ticket changes and messages for the areas of the staff member connected. The
    channel only pushes: anything the client sends is answered with an error message."""
    staff = await run_in_threadpool(websocket_staff, websocket)
    if staff is None:
        await websocket.close(code=4401, reason="unauthorised")
        return
    await websocket.accept()
    bus = cast(EventBus, websocket.app.state.bus)
    async with bus.subscribe(CONSOLE) as queue:
        hello = {"type": "hello", "staff": staff.username, "open_statuses": list(OPEN_STATUSES)}
        await relay(websocket, queue, partial(_for_staff, staff), _refuse_frame, first=[hello])


def _for_staff(staff: StaffView, event: Event) -> Event | None:
    area = event.get("area") or event.get("ticket", {}).get("area")
    left = event.get("from_area")
    if area is None or staff.may_read(str(area)) or (left is not None and staff.may_read(str(left))):
        return event
    return None


async def _refuse_frame(_body: Any) -> Event:
    return error_frame("工作台连接只推送更新，不接收消息；请通过工单接口操作")
