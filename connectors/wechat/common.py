"""What the two WeChat products share: a turn for one citizen message (numbered buttons
chosen by number, replies owed from earlier pushes first), text rendered and split under
WeChat's byte limit, and the push of staff replies inside WeChat's window.

Both deliver by API calls that may be refused later than the citizen expects: WeChat lets an
account write to a citizen only within 48 hours of the citizen's last message (and only a
few messages). A reply that cannot be pushed is stored, kept in `wechat_unpushed` and sent
with the answer to the citizen's next message; the staff member is told.

Both are built from the settings by `from_context` (None, said once, when not configured)
and keep their access token where `token_storage` says.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from abc import abstractmethod
from collections.abc import Coroutine
from typing import Any, ClassVar

from starlette.concurrency import run_in_threadpool
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from bot.contracts.conversation import ConversationState, InboundMessage, OutgoingMessage, Role
from bot.gateway.conversation import ConversationRouter
from bot.gateway.handoff import PushRefusedError
from bot.persistence.models import utcnow
from bot.persistence.store import ConversationStore
from bot.persistence.wechat import WechatStore
from bot.settings import Settings
from connectors.base import Connector, buttons_as_lines, split_text, utf8_size
from connectors.wechat.client import DatabaseStorage, scrub

logger = logging.getLogger(__name__)

# WeChat counts text limits in bytes; 2,048 is the usual bound for a text message, and we
# keep under it with a margin (a Chinese character is 3 bytes in UTF-8).
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
    "市民下次发消息时会一并收到这条回复。"
)
PUSH_FAILED = "回复已保存，但微信拒绝推送（{reason}）；市民下次发消息时会一并收到这条回复。"


def token_storage(settings: Settings, wechat: WechatStore) -> SessionStorage:
    """Redis when the deployment has one (every replica reads it anyway), else the app DB."""
    if settings.redis_url:
        import redis
        from wechatpy.session.redisstorage import RedisStorage

        client = redis.Redis.from_url(settings.redis_url)  # connects lazily, on first use
        return RedisStorage(client, prefix=f"{settings.redis_prefix}wechat")
    return DatabaseStorage(wechat)


def render(message: OutgoingMessage) -> str:
    prefix = STAFF_PREFIX if message.role == Role.staff else ""
    return prefix + buttons_as_lines(message)


class WechatConnector(Connector):
    """A WeChat product: subclasses receive callbacks and send one text part at a time."""

    # WeChat's refusals that mean «not now» rather than «broken», by errcode.
    refusals: ClassVar[dict[int, str]] = {}

    def __init__(
        self,
        router: ConversationRouter,
        store: ConversationStore,
        wechat: WechatStore,
        push_window_hours: float,
    ) -> None:
        super().__init__(router)
        self._store = store
        self._wechat = wechat
        self._window = dt.timedelta(hours=push_window_hours)
        self._pending: set[asyncio.Future[None]] = set()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let replies still on their way through the API finish (up to a grace period)."""
        if self._pending:
            _, late = await asyncio.wait(set(self._pending), timeout=grace_seconds)
            for task in late:
                task.cancel()

    def _in_background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    # --- one citizen message -------------------------------------------------------------
    async def citizen_turn(self, external_id: str, text: str | None) -> list[OutgoingMessage]:
        """What the citizen should see for a message (None: one we cannot read). Never raises."""
        if text is None:
            return [OutgoingMessage(id=0, text=UNSUPPORTED, role=Role.system)]
        try:
            choice = await run_in_threadpool(self._choice, external_id, text)
            result = await self.handle(
                InboundMessage(channel=self.name, sender_id=external_id, text=choice or text)
            )
            owed = await run_in_threadpool(self._take_unpushed, result.conversation.id, external_id)
            return owed + result.messages
        except Exception:
            logger.exception("处理微信消息出错")
            return [OutgoingMessage(id=0, text=TROUBLE, role=Role.system)]

    def _choice(self, external_id: str, text: str) -> str | None:
        """The payload of button `text` (a number) in the bot's last message, if any."""
        if not text.isdigit() or not 1 <= int(text) <= MAX_CHOICES:
            return None
        conversation = self._store.find_conversation(self.name, external_id)
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

    def _take_unpushed(self, conversation_id: str, external_id: str) -> list[OutgoingMessage]:
        taken = self._wechat.take_unpushed(conversation_id)
        owed = (self._store.message_in(self.name, external_id, message_id) for message_id in taken)
        return [OutgoingMessage.from_stored(m) for m in owed if m is not None]

    # --- outbound ------------------------------------------------------------------------
    @abstractmethod
    def send_part(self, external_id: str, text: str) -> None:
        """One text through the product's API (blocking: called in a worker thread)."""

    async def send(self, recipient: str, message: OutgoingMessage, *, answering: bool = False) -> None:
        """Every message to a citizen, in parts under the byte limit.

        `answering`: the answer to what the citizen has just sent (inside WeChat's window by
        definition, even for a message we could not read and did not store); a failure is
        raised to the caller. Anything else (a staff reply, a queue note, the bot taking over
        again, a follow-up question) goes out only inside WeChat's window; otherwise, or when
        WeChat refuses it, it is kept for the citizen's next message and PushRefusedError says
        so for staff."""
        if answering:
            await self._deliver(recipient, message)
            return
        conversation = await run_in_threadpool(self._store.find_conversation, self.name, recipient)
        if conversation is None:
            return
        last = await run_in_threadpool(self._wechat.last_citizen_message_at, conversation.id)
        if last is None or utcnow() - last > self._window:
            await run_in_threadpool(self._wechat.keep_unpushed, conversation.id, message.id)
            raise PushRefusedError(OUTSIDE_WINDOW.format(hours=self._window.total_seconds() / 3600))
        try:
            await self._deliver(recipient, message)
        except WeChatClientException as exc:
            await run_in_threadpool(self._wechat.keep_unpushed, conversation.id, message.id)
            reason = self.refusals.get(exc.errcode or 0, f"错误码 {exc.errcode}")
            logger.warning("微信拒绝推送：%s", scrub(str(exc)))
            raise PushRefusedError(PUSH_FAILED.format(reason=reason)) from None
        except Exception as exc:
            await run_in_threadpool(self._wechat.keep_unpushed, conversation.id, message.id)
            logger.error("无法连接微信接口：%s", scrub(repr(exc)))
            raise PushRefusedError(PUSH_FAILED.format(reason="无法连接微信接口")) from None

    async def _deliver(self, recipient: str, message: OutgoingMessage) -> None:
        for part in split_text(render(message), TEXT_LIMIT_BYTES, utf8_size):
            await run_in_threadpool(self.send_part, recipient, part)

    async def send_all(self, recipient: str, messages: list[OutgoingMessage]) -> None:
        """A turn's answer through the API, in order; a failure is logged (the answer is
        stored and the citizen sees it in the history)."""
        for message in messages:
            try:
                await self.send(recipient, message, answering=True)
            except Exception as exc:
                logger.error("通过%s接口发送失败：%s", self.name, scrub(repr(exc)))
                return
