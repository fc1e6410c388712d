"""The WeChat Official Account connector.

WeChat posts each message to the callback and waits 5 seconds for the reply; with no reply
it retries (three tries in all). So a turn that finishes within `WECHAT_PASSIVE_SECONDS`
is answered in the HTTP reply itself (passive reply); otherwise the callback answers
`success` at once and the turn's reply goes out through the customer-service API when
it is ready. Each callback is claimed in the app DB first (by MsgId; events by sender +
CreateTime), so a retry on any replica is never answered a second time: a retry of a reply
WeChat did not receive repeats that reply, any other retry answers `success`.

A passive reply carries one text; an answer longer than WeChat's limit, or several
messages that do not fit in one, go out through the API, in order. Buttons become
numbered lines, and a reply of just the number sends the button's payload, read from the
last bot message of the conversation (stored, so it survives restarts and replicas).

Staff replies are pushed through the API within 48 hours of the citizen's last message;
later ones are kept and sent with the reply to the citizen's next message, and the staff
member is told.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from wechatpy.exceptions import WeChatClientException

from bot.gateway.conversation import ConversationRouter, OutgoingMessage
from bot.gateway.handoff import PushRefusedError
from bot.persistence.models import ConversationState, Role, utcnow
from bot.persistence.store import ConversationStore, StoredMessage
from bot.persistence.wechat import PASSIVE, PUSHED, RUNNING, WechatStore
from connectors.base import Connector, InboundMessage, buttons_as_lines, split_text, utf8_size
from connectors.wechat.client import OfficialAccountClient, scrub
from connectors.wechat.protocol import CallbackProtocol

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
SUCCESS = "success"  # what WeChat takes for «no passive reply, do not retry»
# WeChat counts text limits in bytes; 2,048 is the documented bound for customer-service
# text, and the passive reply is kept under the same bound (a Chinese character is 3 bytes).
TEXT_LIMIT_BYTES = 2000
GREET_PAYLOAD = "/greet"
STAFF_PREFIX = "【工作人员】"
MAX_CHOICES = 20
TROUBLE = "抱歉，系统暂时出了点问题，请稍后再试；急事请拨打 12345 政务服务便民热线。"
UNSUPPORTED = (
    "抱歉，智能助手目前只能看懂文字消息，暂时无法识别图片、语音、视频、位置或链接。"
    "请用文字描述您要咨询的事项，例如「补办身份证要带什么材料」。"
)
OUTSIDE_WINDOW = (
    "回复已保存，但该市民最后一次发消息已超过 {hours:g} 小时，微信不允许再主动推送；"
    "市民下次在公众号发消息时会一并收到这条回复。"
)
PUSH_FAILED = "回复已保存，但微信拒绝推送（{reason}）；市民下次在公众号发消息时会一并收到这条回复。"
# WeChat's refusals that mean «not now» rather than «broken»: reply window over, too many.
WINDOW_ERRORS = {45015: "超出回复时限", 45047: "超出下发条数限制"}


def delivery_key(message: Any) -> str:
    """MsgId for messages; for events (which have no MsgId) sender + CreateTime, as WeChat
    advises, plus the event's kind (a subscribe and a menu click can share a second)."""
    if message.type == "event" or not message.id:
        return f"{CHANNEL}:event:{message.source}:{message.time}:{message.event}"
    return f"{CHANNEL}:msg:{message.id}"


def render(message: OutgoingMessage) -> str:
    prefix = STAFF_PREFIX if message.role == Role.staff else ""
    return prefix + buttons_as_lines(message)


def passive_text(messages: list[OutgoingMessage]) -> str | None:
    """The turn's messages as the one text a passive reply can carry ("" for nothing to
    say), or None when they do not fit and must go through the API."""
    text = "\n\n".join(render(m) for m in messages)
    return text if utf8_size(text) <= TEXT_LIMIT_BYTES else None


class OfficialAccountConnector(Connector):
    name = CHANNEL

    def __init__(
        self,
        router: ConversationRouter,
        store: ConversationStore,
        wechat: WechatStore,
        protocol: CallbackProtocol,
        client: OfficialAccountClient,
        passive_seconds: float,
        push_window_hours: float,
    ) -> None:
        super().__init__(router)
        self.protocol = protocol
        self._store = store
        self._wechat = wechat
        self._client = client
        self._passive_seconds = passive_seconds
        self._window = dt.timedelta(hours=push_window_hours)
        self._pending: set[asyncio.Task[None]] = set()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let replies still on their way through the API finish (up to a grace period)."""
        if self._pending:
            _, late = await asyncio.wait(set(self._pending), timeout=grace_seconds)
            for task in late:
                task.cancel()

    # --- inbound -------------------------------------------------------------------------
    async def on_callback(self, params: Mapping[str, str], body: bytes) -> str:
        """The HTTP body to answer a verified POST with (raises CallbackRefusedError first)."""
        callback = await run_in_threadpool(self.protocol.open, params, body)
        key = delivery_key(callback.message)
        if not await run_in_threadpool(self._wechat.claim, key):
            return await self._answer_retry(key)
        turn = asyncio.ensure_future(self._turn(callback.message))
        try:
            done, _ = await asyncio.wait({turn}, timeout=self._passive_seconds)
        except asyncio.CancelledError:  # WeChat hung up: the answer still goes out by the API
            self._in_background(self._settle_and_push(key, callback.message.source, turn))
            raise
        if done:
            text = passive_text(turn.result())
            if text is not None:
                reply = self.protocol.reply(callback, text) if text else SUCCESS
                await run_in_threadpool(self._wechat.settle, key, PASSIVE, reply)
                return reply
        self._in_background(self._settle_and_push(key, callback.message.source, turn))
        return SUCCESS

    async def _answer_retry(self, key: str) -> str:
        """A retry: WeChat did not get our first answer. Wait for the first delivery to
        settle; repeat its passive reply, or say `success` (the API is sending it)."""
        deadline = asyncio.get_running_loop().time() + self._passive_seconds
        while True:
            delivery = await run_in_threadpool(self._wechat.delivery, key)
            if delivery is None or delivery.status != RUNNING:
                break
            if asyncio.get_running_loop().time() >= deadline:
                return SUCCESS
            await asyncio.sleep(0.2)
        if delivery is not None and delivery.status == PASSIVE and delivery.reply:
            return delivery.reply
        return SUCCESS

    async def _turn(self, message: Any) -> list[OutgoingMessage]:
        """What the citizen should see for this callback (never raises)."""
        openid = str(message.source)
        try:
            text = self._text_of(message)
            if text is None:
                return [] if message.type == "event" else [OutgoingMessage(0, UNSUPPORTED, role=Role.system)]
            choice = await run_in_threadpool(self._choice, openid, text)
            result = await self.handle(InboundMessage(CHANNEL, openid, choice or text))
            owed = await run_in_threadpool(self._take_unpushed, result.conversation.id, openid)
            return owed + result.messages
        except Exception:
            logger.exception("处理微信消息出错")
            return [OutgoingMessage(0, TROUBLE, role=Role.system)]

    @staticmethod
    def _text_of(message: Any) -> str | None:
        """What a message or event says, or None for what the assistant cannot read."""
        if message.type == "text":
            return str(message.content or "").strip() or None
        if message.type == "voice" and message.recognition:  # WeChat's speech recognition
            return str(message.recognition).strip() or None
        if message.type == "event":
            if message.event in {"subscribe", "subscribe_scan"}:
                return GREET_PAYLOAD
            if message.event == "click":  # a menu item: its key is a question or a payload
                return str(message.key or "").strip() or None
        return None

    def _choice(self, openid: str, text: str) -> str | None:
        """The payload of button `text` (a number) in the bot's last message, if any."""
        if not text.isdigit() or not 1 <= int(text) <= MAX_CHOICES:
            return None
        conversation = self._store.find_conversation(CHANNEL, openid)
        if conversation is None or conversation.state != ConversationState.bot:
            return None
        for stored in reversed(self._store.recent(conversation.id, 10)):
            if stored.role == Role.citizen:
                return None  # the citizen has spoken since: the numbers belong to nothing
            buttons = stored.payload.get("buttons") or []
            if stored.role == Role.bot and buttons:
                index = int(text) - 1
                return str(buttons[index]["payload"]) if index < len(buttons) else None
        return None

    def _take_unpushed(self, conversation_id: str, openid: str) -> list[OutgoingMessage]:
        taken = self._wechat.take_unpushed(conversation_id)
        owed = (self._store.message_in(CHANNEL, openid, message_id) for message_id in taken)
        return [OutgoingMessage.from_stored(m) for m in owed if m is not None]

    # --- outbound ------------------------------------------------------------------------
    def _in_background(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _settle_and_push(
        self, key: str, openid: str, turn: asyncio.Future[list[OutgoingMessage]]
    ) -> None:
        await run_in_threadpool(self._wechat.settle, key, PUSHED)
        messages = await turn
        for message in messages:
            try:
                await self.send(openid, message)
            except Exception as exc:
                logger.error("通过客服消息接口发送失败：%s", scrub(repr(exc)))
                return

    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        """Through the customer-service API, one part at a time (blocking calls in threads)."""
        for part in split_text(render(message), TEXT_LIMIT_BYTES, utf8_size):
            await run_in_threadpool(self._client.send_text, recipient, part)

    async def push(self, openid: str, message: StoredMessage) -> None:
        """A staff reply (or the bot taking over again): pushed inside WeChat's window,
        otherwise kept for the citizen's next message and refused with a notice for staff."""
        conversation = await run_in_threadpool(self._store.find_conversation, CHANNEL, openid)
        if conversation is None:
            return
        last = await run_in_threadpool(self._wechat.last_citizen_message_at, conversation.id)
        if last is None or utcnow() - last > self._window:
            await run_in_threadpool(self._wechat.keep_unpushed, conversation.id, message.id)
            raise PushRefusedError(OUTSIDE_WINDOW.format(hours=self._window.total_seconds() / 3600))
        try:
            await self.send(openid, OutgoingMessage.from_stored(message))
        except WeChatClientException as exc:
            await run_in_threadpool(self._wechat.keep_unpushed, conversation.id, message.id)
            reason = WINDOW_ERRORS.get(exc.errcode or 0, f"错误码 {exc.errcode}")
            logger.warning("微信拒绝客服消息：%s", scrub(str(exc)))
            raise PushRefusedError(PUSH_FAILED.format(reason=reason)) from None
        except Exception as exc:
            await run_in_threadpool(self._wechat.keep_unpushed, conversation.id, message.id)
            logger.error("无法连接微信接口：%s", scrub(repr(exc)))
            raise PushRefusedError(PUSH_FAILED.format(reason="无法连接微信接口")) from None
