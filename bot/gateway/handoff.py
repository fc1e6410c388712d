"""Human handoff: from the bot's handoff request to a ticket, staff replies back to the
citizen's channel, and the return to the bot.

The ticket store moves the state; this service adds what people see: the acknowledgement
with case number and queue position (or when staff will be back), live events for the
console and the citizen, and Rasa's pause/resume around the time a person has the
conversation. Anything a citizen should see is stored first, then sent through the
connector of the conversation's channel (`connector_for`, from the registry in
connectors/registry.py), so a citizen who is offline finds it with
`GET /api/v1/chat/{sender}/messages` later.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from bot.contracts.areas import AREA_LABELS, Area
from bot.contracts.conversation import (
    ConversationState,
    ConversationView,
    OutgoingMessage,
    Role,
    StoredMessage,
)
from bot.contracts.replies import (
    BackToBot,
    Claimed,
    Closed,
    HandoffAck,
    HandoffRequest,
    Queued,
    ReplyType,
    StaffReply,
    Transferred,
    reply_type,
)
from bot.contracts.tickets import HandoffReason, TicketStatus
from bot.gateway.bus import CONSOLE, EventBus
from bot.gateway.rasa_client import RasaClient, RasaUnavailableError, normalise_rasa_messages
from bot.office_hours import OfficeHours, format_opening
from bot.persistence.models import utcnow
from bot.persistence.staff import StaffView
from bot.persistence.store import ConversationStore
from bot.persistence.tickets import NewTicket, TicketConflictError, TicketStore, TicketView
from bot.privacy import mask_personal_data
from knowledge.search import KnowledgeBase

logger = logging.getLogger(__name__)

RESOLVED_INTENT = "EXTERNAL_handoff_resolved"
TRANSCRIPT_MESSAGES = 30
PRIORITY = {HandoffReason.complaint: 1, HandoffReason.suggestion: 3}  # everything else: 2
# Cases the citizen files rather than a chat they hand over: the bot keeps answering meanwhile.
FEEDBACK_REASONS = frozenset({HandoffReason.complaint, HandoffReason.suggestion})
BACK_TO_BOT = "工作人员已处理完您的问题，接下来由智能助手继续为您服务。"
CLOSED = "本次人工服务已结束，感谢您的耐心。如有新的问题，直接发消息即可。"
# Who the citizen is told now handles a transferred case (the sample district's departments,
# as named in knowledge/data/).
AREA_DEPARTMENTS: dict[Area, str] = {
    Area.education: "示例区教育局",
    Area.social_security: "示例区人力资源和社会保障局（社会保险）",
    Area.employment: "示例区人力资源和社会保障局（公共就业服务）",
    Area.healthcare: "示例区医疗保障局",
    Area.housing: "示例区住房公积金管理部、不动产登记中心",
    Area.transport: "示例区公安分局交通警察大队、交通运输局",
    Area.certificates: "示例区公安分局",
    Area.enterprise_licensing: "示例区市场监督管理局",
    Area.qualification: "示例区住房和城乡建设局、人力资源和社会保障局",
    Area.other: "示例区政务服务中心综合窗口",
}


def transfer_notice(case_number: str, area: Area, position: int) -> str:
    """What the citizen reads when their case moves to another area."""
    return (
        f"您的问题已转交「{AREA_LABELS[area]}」领域（{AREA_DEPARTMENTS[area]}）办理，"
        f"受理编号 {case_number} 不变，等待时间连续计算，当前排队第 {position} 位，请稍候。"
    )


class ChannelConnector(Protocol):
    async def send(self, recipient: str, message: OutgoingMessage) -> None: ...


class ConnectorLookup(Protocol):
    """The running connectors by channel name (`Channels` in connectors/registry.py; this
    layer does not import the connectors, which sit above it)."""

    def connector_for(self, channel: str) -> ChannelConnector | None: ...


class PushRefusedError(Exception):
    """A channel that may not deliver this message now (WeChat more than 48 hours after the
    citizen's last message). The message is stored; the text says so to staff."""


@dataclass(frozen=True)
class StaffAction:
    ticket: TicketView
    messages: list[StoredMessage]
    # Set when a message is stored but could not be pushed to the citizen's channel.
    notice: str | None = None


def button_titles(messages: list[StoredMessage]) -> dict[int, str]:
    """For each citizen message (oldest first in `messages`) that is the payload of a button
    the conversation offered before it (`/ask_fee{"service_item": …}`), the button's title, by
    message id: what the citizen pressed, as they saw it. The stored text stays the payload
    (it is what Rasa was sent); only what staff read changes."""
    offered: dict[str, str] = {}
    titles: dict[int, str] = {}
    for message in messages:
        if message.role == Role.citizen:
            title = offered.get(message.text.strip())
            if title:
                titles[message.id] = title
            continue
        for button in message.payload.get("buttons") or []:
            if isinstance(button, dict) and button.get("payload") and button.get("title"):
                offered[str(button["payload"])] = str(button["title"])
    return titles


def message_json(message: StoredMessage, pressed: str | None = None) -> dict[str, Any]:
    """A message as staff see it; `pressed`: the title of the button whose payload the
    citizen's message is, shown as its text (the payload stays in `button_payload`)."""
    shown: dict[str, Any] = {"text": pressed, "button_payload": message.text} if pressed else {}
    return {
        "id": message.id,
        "role": message.role.value,
        "text": message.text,
        "buttons": list(message.payload.get("buttons", [])),
        "data": dict(message.payload.get("data", {})),
        "created_at": message.created_at.isoformat(),
        **shown,
    }


def transcript_json(messages: list[StoredMessage]) -> list[dict[str, Any]]:
    """Messages (oldest first) as staff see them, pressed buttons by their titles."""
    titles = button_titles(messages)
    return [message_json(m, titles.get(m.id)) for m in messages]


class HandoffService:
    def __init__(
        self,
        store: ConversationStore,
        tickets: TicketStore,
        rasa: RasaClient,
        bus: EventBus,
        hours: OfficeHours,
        knowledge: KnowledgeBase,
        channels: ConnectorLookup,
    ) -> None:
        self._store = store
        self._tickets = tickets
        self._rasa = rasa
        self._bus = bus
        self._hours = hours
        self._knowledge = knowledge
        self._channels = channels

    # --- citizen side ------------------------------------------------------------------
    async def open(self, conversation: ConversationView, request: HandoffRequest) -> StoredMessage:
        """Turn the bot's handoff request into a ticket; returns the stored acknowledgement."""
        new = await run_in_threadpool(self._new_ticket, conversation, request)
        ticket, created = await run_in_threadpool(self._tickets.open_ticket, new)
        if created:
            if request.reason not in FEEDBACK_REASONS:
                await self._pause_rasa(conversation.sender_key)
            await self._publish_ticket(ticket, "created")
        position = await run_in_threadpool(self._tickets.queue_position, ticket)
        ack = await run_in_threadpool(self._store_ack, conversation.id, ticket, position)
        await self._publish_message(ticket, ack, to_citizen=False)  # it is part of this turn's reply
        return ack

    async def bot_still_answers(self, conversation: ConversationView) -> bool:
        """A complaint or suggestion waiting for a person is a case filed, not a chat taken over:
        until a person takes it, the bot goes on answering the citizen's questions («算了 先说
        网上能不能查进度»), and each message still reaches the case."""
        if conversation.state != ConversationState.queued:
            return False
        ticket = await run_in_threadpool(self._tickets.open_ticket_of, conversation.id)
        return (
            ticket is not None
            and ticket.status == TicketStatus.queued
            and HandoffReason(ticket.reason) in FEEDBACK_REASONS
        )

    async def on_citizen_message(
        self, conversation: ConversationView, message: StoredMessage
    ) -> list[StoredMessage]:
        """A message while queued or with a person goes to the ticket (and the console); a
        queued citizen is told where they stand."""
        ticket = await run_in_threadpool(self._tickets.open_ticket_of, conversation.id)
        if ticket is None:  # state without a ticket should not happen; never drop the text
            logger.warning("会话 %s 处于 %s 状态但没有未结工单", conversation.id, conversation.state)
            return []
        pressed = await self._pressed(conversation, message)
        await self._publish_message(ticket, message, to_citizen=False, pressed=pressed)
        if ticket.status != TicketStatus.queued or HandoffReason(ticket.reason) in FEEDBACK_REASONS:
            return []  # with a person, or a filed case the bot answers beside (`bot_still_answers`)
        position = await run_in_threadpool(self._tickets.queue_position, ticket)
        text = (
            f"已收到，您的消息已转给工作人员（受理编号 {ticket.case_number}，"
            f"当前排队第 {position} 位），请稍候。"
        )
        note = await run_in_threadpool(
            self._store.append,
            conversation.id,
            Role.system,
            text,
            {"data": Queued(case_number=ticket.case_number, queue_position=position).dump()},
        )
        return [note]

    async def reopen(self, conversation: ConversationView) -> None:
        """A closed conversation the citizen writes to again starts over with the bot."""
        if await run_in_threadpool(self._tickets.reopen_closed, conversation.id):
            await self._resume_quietly(conversation.sender_key)

    # --- cases answered outside the console (WeCom members in the WeCom app) ----------
    async def ticket(self, case_number: str) -> TicketView | None:
        return await run_in_threadpool(self._tickets.get, case_number)

    async def hand_elsewhere(self, case_number: str, note: str) -> TicketView:
        """Someone outside the console answers this case: the ticket's note says who, and the
        consoles reload it, so our staff do not answer it a second time."""
        ticket = await run_in_threadpool(self._tickets.hand_elsewhere, case_number, note)
        await self._publish_ticket(ticket, "elsewhere")
        return ticket

    async def take_back(self, conversation: ConversationView, note: str) -> bool:
        """The case handed elsewhere is over (the citizen writes again and the channel says
        nobody there has them): its ticket is resolved with `note` added and Rasa resumes
        without a word of its own, so the citizen's message is answered by the bot. False when
        the conversation has no such case (a ticket for the console stays as it is)."""
        ticket = await run_in_threadpool(self._tickets.open_ticket_of, conversation.id)
        if ticket is None or not await run_in_threadpool(self._tickets.handed_elsewhere, ticket.id):
            return False
        try:
            ticket = await run_in_threadpool(
                self._tickets.finish, ticket.case_number, None, TicketStatus.resolved, ticket.note + note
            )
        except TicketConflictError:  # another replica took it back first
            return True
        await self._publish_ticket(ticket, TicketStatus.resolved.value)
        await self._resume_quietly(conversation.sender_key)
        return True

    # --- staff side --------------------------------------------------------------------
    async def claim(self, case_number: str, staff: StaffView) -> TicketView:
        ticket = await run_in_threadpool(self._tickets.claim, case_number, staff.id)
        await self._publish_ticket(ticket, "claimed")
        note = await run_in_threadpool(
            self._store.append,
            ticket.conversation_id,
            Role.system,
            f"工作人员已接单（受理编号 {ticket.case_number}），正在为您处理。",
            {"data": Claimed(case_number=ticket.case_number).dump()},
        )
        await self._publish_message(ticket, note)
        return ticket

    async def transfer(self, case_number: str, staff: StaffView, to_area: Area, reason: str) -> StaffAction:
        """转办: move the ticket, tell both areas' consoles and the citizen."""
        ticket, from_area = await run_in_threadpool(
            self._tickets.transfer, case_number, staff.id, to_area.value, reason
        )
        await self._publish_ticket(ticket, "transferred", from_area=from_area)
        position = await run_in_threadpool(self._tickets.queue_position, ticket)
        note = await run_in_threadpool(
            self._store.append,
            ticket.conversation_id,
            Role.system,
            transfer_notice(ticket.case_number, to_area, position),
            {
                "data": Transferred(
                    case_number=ticket.case_number,
                    area=to_area,
                    department=AREA_DEPARTMENTS[to_area],
                    queue_position=position,
                ).dump()
            },
        )
        await self._publish_message(ticket, note)
        return StaffAction(ticket, [note])

    async def reply(self, case_number: str, staff: StaffView, text: str) -> StaffAction:
        ticket = await run_in_threadpool(self._tickets.record_reply, case_number, staff.id)
        message = await run_in_threadpool(
            self._store.append,
            ticket.conversation_id,
            Role.staff,
            mask_personal_data(text),
            {"data": StaffReply(case_number=ticket.case_number).dump()},
        )
        notice = await self._publish_message(ticket, message)
        await self._publish_ticket(ticket, "replied")
        return StaffAction(ticket, [message], notice)

    async def finish(
        self, case_number: str, staff: StaffView, status: TicketStatus, note: str
    ) -> StaffAction:
        """Resolve: back to the bot, which says so and asks for a rating. Close: the end."""
        ticket = await run_in_threadpool(self._tickets.finish, case_number, staff.id, status, note)
        await self._publish_ticket(ticket, status.value)
        conversation = await run_in_threadpool(self._store.get_conversation, ticket.conversation_id)
        if status == TicketStatus.resolved:
            replies = await self._resume_rasa(conversation.sender_key)
        else:
            replies = [{"text": CLOSED, "buttons": [], "data": Closed().dump()}]
        stored = []
        notices = []
        for reply in replies:
            data = {**reply["data"], "case_number": ticket.case_number}
            message = await run_in_threadpool(
                self._store.append,
                ticket.conversation_id,
                Role.bot,
                reply["text"],
                {"buttons": reply["buttons"], "data": data},
            )
            notices.append(await self._publish_message(ticket, message))
            stored.append(message)
        return StaffAction(ticket, stored, next((n for n in notices if n), None))

    # --- helpers -----------------------------------------------------------------------
    def _new_ticket(self, conversation: ConversationView, request: HandoffRequest) -> NewTicket:
        reason = request.reason
        item = self._knowledge.resolve(request.service_item) if request.service_item else None
        transcript = self._store.recent(conversation.id, TRANSCRIPT_MESSAGES)
        titles = button_titles(transcript)
        last_answer = next(
            (
                m.text
                for m in reversed(transcript)
                if m.role == Role.bot and reply_type(m.payload.get("data")) is ReplyType.answer
            ),
            None,
        )
        packet = {
            **{k: v for k, v in request.as_given().items() if k != "type"},
            "service_item_name": item.name if item else None,
            "last_bot_answer": last_answer,
            "transcript": [
                {"role": m.role.value, "text": titles.get(m.id, m.text), "at": m.created_at.isoformat()}
                for m in transcript
            ],
        }
        return NewTicket(
            conversation_id=conversation.id,
            channel=conversation.channel,
            area=request.area.value,
            reason=reason.value,
            priority=PRIORITY.get(reason, 2),
            service_item=item.id if item else None,
            question_type=request.question_type,
            packet=packet,
        )

    def _store_ack(self, conversation_id: str, ticket: TicketView, position: int) -> StoredMessage:
        opening = self._hours.next_opening(utcnow())
        # The position is in the text itself, so every channel tells it (Telegram and WeChat
        # show only the text; the widget also reads it from the data).
        ahead = f"您前面还有 {position - 1} 位" if position > 1 else "您是下一位"
        if opening is None:
            text = (
                f"已为您转接人工服务，受理编号：{ticket.case_number}。{ahead}，"
                "工作人员接单后会在这里直接回复您，请稍候。"
            )
        else:
            text = (
                f"已为您登记人工服务，受理编号：{ticket.case_number}，当前排队第 {position} 位"
                f"（{ahead}）。现在是非工作时间（工作时间：{self._hours.describe()}），"
                f"工作人员将于 {format_opening(opening)} 起按顺序回复，"
                "回复会发到这里，您离开后再回来也能看到。"
            )
        if HandoffReason(ticket.reason) in FEEDBACK_REASONS:
            text += "在此期间，您仍可以继续向我咨询办事问题。"
        data = HandoffAck(
            case_number=ticket.case_number,
            queue_position=position,
            office_open=opening is None,
            next_opening=opening.isoformat() if opening else None,
        )
        return self._store.append(conversation_id, Role.system, text, {"data": data.dump()})

    async def _pause_rasa(self, sender: str) -> None:
        try:
            await self._rasa.append_events(sender, [{"event": "pause", "timestamp": _now()}])
        except RasaUnavailableError:  # the gateway does not forward while handed off anyway
            logger.warning("无法暂停 Rasa 会话 %s", sender)

    async def _resume_quietly(self, sender: str) -> bool:
        """Rasa's conversation un-paused, no reply asked for; False when Rasa is unreachable."""
        try:
            await self._rasa.append_events(sender, [{"event": "resume", "timestamp": _now()}])
        except RasaUnavailableError:
            logger.warning("无法恢复 Rasa 会话 %s", sender)
            return False
        return True

    async def _resume_rasa(self, sender: str) -> list[dict[str, Any]]:
        replies: list[dict[str, Any]] = []
        if await self._resume_quietly(sender):
            try:
                replies = normalise_rasa_messages(await self._rasa.trigger_intent(sender, RESOLVED_INTENT))
            except RasaUnavailableError:
                logger.warning("Rasa 会话 %s 已恢复，但取不到它的回复，改由网关发送回到机器人的提示", sender)
        return replies or [{"text": BACK_TO_BOT, "buttons": [], "data": BackToBot().dump()}]

    async def _publish_ticket(self, ticket: TicketView, change: str, from_area: str | None = None) -> None:
        """`from_area`: a transferred ticket is news for the area it left as well."""
        position = await run_in_threadpool(self._tickets.queue_position, ticket)
        event: dict[str, Any] = {
            "type": "ticket",
            "change": change,
            "ticket": ticket.as_json(),
            "queue_position": position,
        }
        if from_area is not None:
            event["from_area"] = from_area
        await self._bus.publish(CONSOLE, event)

    async def _pressed(self, conversation: ConversationView, message: StoredMessage) -> str | None:
        """The title of the button a citizen's message pressed, from the recent transcript."""
        if not message.text.startswith("/"):
            return None
        recent = await run_in_threadpool(self._store.recent, conversation.id, TRANSCRIPT_MESSAGES)
        return button_titles(recent).get(message.id)

    async def _publish_message(
        self,
        ticket: TicketView,
        message: StoredMessage,
        to_citizen: bool = True,
        pressed: str | None = None,
    ) -> str | None:
        """To the console and (with `to_citizen`) the citizen; returns why the citizen's
        channel could not deliver it (None when delivered or nothing to deliver)."""
        event = {
            "type": "message",
            "case_number": ticket.case_number,
            "area": ticket.area,
            "message": message_json(message, pressed),
        }
        await self._bus.publish(CONSOLE, event)
        if not to_citizen:
            return None
        conversation = await run_in_threadpool(self._store.get_conversation, ticket.conversation_id)
        return await self._to_citizen(conversation, message)

    async def tell_citizen(self, conversation_id: str, text: str, payload: dict[str, Any]) -> StoredMessage:
        """A system message outside any ticket (the 追评 question after 已整改), delivered
        like a staff reply."""
        message = await run_in_threadpool(self._store.append, conversation_id, Role.system, text, payload)
        conversation = await run_in_threadpool(self._store.get_conversation, conversation_id)
        await self._to_citizen(conversation, message)
        return message

    async def _to_citizen(self, conversation: ConversationView, message: StoredMessage) -> str | None:
        """Through the channel's connector, on the replica where staff acted (the REST
        connector publishes on the bus, so a socket on any replica gets it)."""
        connector = self._channels.connector_for(conversation.channel)
        if connector is None:  # a channel not configured here: the message stays in the store
            return None
        try:
            await connector.send(conversation.external_id, OutgoingMessage.from_stored(message))
        except PushRefusedError as exc:
            return str(exc)
        except Exception:  # stored already: the citizen still finds it in the history
            logger.exception("推送到 %s 渠道失败（消息已保存）", conversation.channel)
            return "消息已保存，但推送到用户所在渠道失败；用户下次打开对话时可在记录中看到。"
        return None


def _now() -> float:
    return dt.datetime.now(dt.UTC).timestamp()
