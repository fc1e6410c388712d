"""The WeChat Official Account connector (on when `WECHAT_TOKEN`, `WECHAT_APP_ID` and
`WECHAT_APP_SECRET` are set) and its callback `/wechat/callback`: the URL check (GET) and
every message or event (POST); anything not signed by WeChat for this account is refused
with 403 before it is parsed or stored.

WeChat posts each message to the callback and waits 5 seconds for the reply; with no reply
it retries (three tries in all). So a turn that finishes within `WECHAT_PASSIVE_SECONDS`
is answered in the HTTP reply itself (passive reply); otherwise the callback answers
`success` at once and the turn's reply goes out through the customer-service API when
it is ready. Each callback is claimed in the app DB first (by MsgId; events by sender +
CreateTime), so a retry on any replica is never answered a second time: a retry of a reply
WeChat did not receive repeats that reply, any other retry answers `success`.

A passive reply carries one text; an answer longer than WeChat's limit, or several
messages that do not fit in one, go out through the API, in order. Buttons, numbers and
staff replies are handled as for every WeChat product (connectors/wechat/common.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Self

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from bot.contracts.conversation import OutgoingMessage
from bot.gateway.conversation import ConversationRouter
from bot.persistence.store import ConversationStore
from bot.persistence.wechat import PASSIVE, PUSHED, RUNNING, WechatStore
from connectors.base import ChannelContext, connector_of, utf8_size
from connectors.wechat.client import OfficialAccountClient
from connectors.wechat.common import GREET_PAYLOAD, TEXT_LIMIT_BYTES, WechatConnector, render, token_storage
from connectors.wechat.protocol import CallbackProtocol, CallbackRefusedError

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
SUCCESS = "success"  # what WeChat takes for «no passive reply, do not retry»
# WeChat's refusals of a customer-service message that mean «not now».
REFUSALS = {45015: "超出回复时限", 45047: "超出下发条数限制"}


def delivery_key(message: Any) -> str:
    """MsgId for messages; for events (which have no MsgId) sender + CreateTime, as WeChat
    advises, plus the event's kind (a subscribe and a menu click can share a second)."""
    if message.type == "event" or not message.id:
        return f"{CHANNEL}:event:{message.source}:{message.time}:{message.event}"
    return f"{CHANNEL}:msg:{message.id}"


def passive_text(messages: list[OutgoingMessage]) -> str | None:
    """The turn's messages as the one text a passive reply can carry ("" for nothing to
    say), or None when they do not fit and must go through the API."""
    text = "\n\n".join(render(m) for m in messages)
    return text if utf8_size(text) <= TEXT_LIMIT_BYTES else None


router = APIRouter(include_in_schema=False)


class OfficialAccountConnector(WechatConnector):
    name = CHANNEL
    routes = router
    refusals = REFUSALS

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
        super().__init__(router, store, wechat, push_window_hours)
        self.protocol = protocol
        self._client = client
        self._passive_seconds = passive_seconds

    @classmethod
    def from_context(cls, context: ChannelContext) -> Self | None:
        """Said once either way."""
        settings = context.settings
        if not settings.wechat_enabled:
            logger.info("未设置 WECHAT_TOKEN、WECHAT_APP_ID、WECHAT_APP_SECRET，本次不启用微信公众号渠道")
            return None
        wechat = WechatStore(context.engine)
        client = OfficialAccountClient(
            settings.wechat_app_id,
            settings.wechat_app_secret,
            settings.wechat_api_url,
            token_storage(settings, wechat),
        )
        protocol = CallbackProtocol(settings.wechat_token, settings.wechat_app_id, settings.wechat_aes_key)
        mode = "安全模式" if protocol.safe_mode else "明文模式"
        logger.info("微信公众号渠道已启用（%s，回调地址 /wechat/callback）", mode)
        return cls(
            context.router,
            context.store,
            wechat,
            protocol,
            client,
            settings.wechat_passive_seconds,
            settings.wechat_push_window_hours,
        )

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
        text = self._text_of(message)
        if text is None and message.type == "event":
            return []  # unsubscribe, a menu link opened, …: nothing to say
        return await self.citizen_turn(str(message.source), text)

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

    # --- outbound ------------------------------------------------------------------------
    async def _settle_and_push(
        self, key: str, openid: str, turn: asyncio.Future[list[OutgoingMessage]]
    ) -> None:
        await run_in_threadpool(self._wechat.settle, key, PUSHED)
        await self.send_all(openid, await turn)

    def send_part(self, external_id: str, text: str) -> None:
        self._client.send_text(external_id, text)


def _connector(request: Request) -> OfficialAccountConnector:
    connector = connector_of(request, OfficialAccountConnector)
    if connector is None:
        raise HTTPException(status_code=404, detail="未启用微信公众号渠道")
    return connector


@router.get("/wechat/callback")
async def verify_url(request: Request) -> Response:
    connector = _connector(request)
    try:
        echostr = connector.protocol.verify_url(request.query_params)
    except CallbackRefusedError as exc:
        raise HTTPException(status_code=403, detail=f"微信签名校验失败：{exc}") from exc
    return PlainTextResponse(echostr)


@router.post("/wechat/callback")
async def callback(request: Request) -> Response:
    connector = _connector(request)
    body = await request.body()
    try:
        reply = await connector.on_callback(request.query_params, body)
    except CallbackRefusedError as exc:
        raise HTTPException(status_code=403, detail=f"微信签名校验失败：{exc}") from exc
    if reply == SUCCESS:
        return PlainTextResponse(SUCCESS)
    return Response(reply, media_type="application/xml")
