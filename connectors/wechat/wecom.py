"""WeCom 微信客服: customer service for ordinary WeChat users, run from a WeCom corp (on
when `WECOM_CORP_ID`, `WECOM_SECRET`, `WECOM_TOKEN` and `WECOM_AES_KEY` are set). Its
callback is `/wecom/callback` (the URL check and each notice, refused with 403 unless WeCom
signed it).

A callback carries no message, only «something new» and a token: the connector answers
`success` at once and reads the new messages with `kf/sync_msg` from the cursor it keeps in
the app DB (so a restart or another replica goes on where the last read stopped). Each
message is claimed by its msgid before it is answered, so two replicas reading the same
page, or a callback retried, still answer once. Replies go out with `kf/send_msg`.

Who is answering: WeCom keeps a state per citizen. The connector moves a new session (0,
未处理) to 智能助手接待 (1) when it answers, and stays silent while WeCom says a WeCom
member has the session (2 待接入池, 3 人工接待): then that member answers in the WeCom app.
A handoff goes one of two ways (`WECOM_HANDOFF`):

- `console`: our staff answer from the console through `send_msg`, which WeCom allows only
  in states 0 and 1, so the session stays in 1 and WeCom shows 智能助手接待 while a person
  answers (the API is the one sending).
- `wecom`: after the handoff reply (case number) has gone out, the session moves to the WeCom
  member mapped to the ticket's area (3) or to WeCom's queue (2), and the ticket in the
  console says so. When WeCom reports 0 or 1 again (the member ended the session and the
  citizen wrote again), the ticket is resolved and the assistant answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Self

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from bot.contracts.conversation import ConversationState, OutgoingMessage
from bot.contracts.replies import HandoffAck, HandoffRequest
from bot.gateway.conversation import ConversationRouter
from bot.gateway.handoff import HandoffService
from bot.persistence.store import ConversationStore
from bot.persistence.tickets import TicketConflictError
from bot.persistence.wechat import PUSHED, WechatStore
from connectors.base import ChannelContext, connector_of
from connectors.wechat.client import WeComClient, scrub
from connectors.wechat.common import WechatConnector, token_storage
from connectors.wechat.protocol import CallbackRefusedError, WeComProtocol

logger = logging.getLogger(__name__)

CHANNEL = "wecom"
NEW, BOT, POOL, HUMAN = 0, 1, 2, 3  # WeCom's service_state values
FROM_CITIZEN = 3  # msg_list origin: 3 a WeChat user, 4 a system event, 5 a WeCom member
REFUSALS = {95001: "超出下发条数或时限", 95018: "当前会话状态不允许发送"}
CONSOLE, WECOM = "console", "wecom"  # WECOM_HANDOFF: who answers a citizen handed to a person
WITH_MEMBER = "已转企业微信，由接待人员 {servicer} 在企业微信中接待，请勿在工作台回复（回复发不出去）。"
IN_POOL = "已转企业微信待接入池，由企业微信分配接待人员在企业微信中接待，请勿在工作台回复（回复发不出去）。"
ENDED = "企业微信会话已结束，交回智能助手。"


def external_id(open_kfid: str, external_userid: str) -> str:
    """One conversation per citizen and customer-service account."""
    return f"{open_kfid}:{external_userid}"


def text_of(message: dict[str, Any]) -> str | None:
    if message.get("msgtype") == "text":
        return str(message.get("text", {}).get("content", "")).strip() or None
    return None


router = APIRouter(include_in_schema=False)


class WeComConnector(WechatConnector):
    name = CHANNEL
    routes = router
    refusals = REFUSALS

    def __init__(
        self,
        router: ConversationRouter,
        store: ConversationStore,
        wechat: WechatStore,
        protocol: WeComProtocol,
        client: WeComClient,
        push_window_hours: float,
        handoff: HandoffService,
        mode: str = CONSOLE,
        servicers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(router, store, wechat, push_window_hours)
        self.protocol = protocol
        self._client = client
        self._handoff = handoff
        self._mode = mode
        self._servicers = dict(servicers or {})  # area → WeCom userid (`wecom` mode)
        self._reading: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @classmethod
    def from_context(cls, context: ChannelContext) -> Self | None:
        """Said once either way."""
        settings = context.settings
        if not settings.wecom_enabled:
            logger.info(
                "未设置 WECOM_CORP_ID、WECOM_SECRET、WECOM_TOKEN、WECOM_AES_KEY，"
                "本次不启用企业微信「微信客服」渠道"
            )
            return None
        wechat = WechatStore(context.engine)
        client = WeComClient(
            settings.wecom_corp_id,
            settings.wecom_secret,
            settings.wecom_api_url,
            token_storage(settings, wechat),
        )
        protocol = WeComProtocol(settings.wecom_token, settings.wecom_corp_id, settings.wecom_aes_key)
        servicers = settings.wecom_servicer_map
        if settings.wecom_handoff == WECOM:
            routed = "、".join(f"{area}→{userid}" for area, userid in servicers.items()) or "无"
            how = f"转人工交给企业微信接待人员（按领域指定：{routed}；其余进待接入池）"
        else:
            how = "转人工由工作台经接口回复"
            if servicers:
                logger.warning("WECOM_SERVICERS 只在 WECOM_HANDOFF=wecom 时使用，本次忽略")
        logger.info("企业微信「微信客服」渠道已启用（回调地址 /wecom/callback，%s）", how)
        return cls(
            context.router,
            context.store,
            wechat,
            protocol,
            client,
            settings.wechat_push_window_hours,
            context.handoff,
            settings.wecom_handoff,
            servicers,
        )

    async def on_callback(self, params: Mapping[str, str], body: bytes) -> str:
        fields = await run_in_threadpool(self.protocol.open, params, body)
        if fields.get("Event") == "kf_msg_or_event" and fields.get("OpenKfId"):
            self._in_background(self.read_new(fields["OpenKfId"], fields.get("Token", "")))
        return "success"

    async def read_new(self, open_kfid: str, token: str) -> None:
        """Read every page after the stored cursor; answer each citizen's messages in order
        (different citizens at the same time)."""
        async with self._reading[open_kfid]:
            try:
                cursor = await run_in_threadpool(self._wechat.cursor, open_kfid)
                while True:
                    page = await run_in_threadpool(self._client.sync_msg, open_kfid, cursor, token)
                    by_citizen: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
                    for message in page.get("msg_list") or []:
                        if message.get("origin") == FROM_CITIZEN and message.get("external_userid"):
                            by_citizen[str(message["external_userid"])].append(message)
                    await asyncio.gather(*(self._answer(open_kfid, u, m) for u, m in by_citizen.items()))
                    cursor = str(page.get("next_cursor") or cursor)
                    await run_in_threadpool(self._wechat.set_cursor, open_kfid, cursor)
                    if not page.get("has_more"):
                        return
            except Exception as exc:
                logger.error("读取微信客服消息失败：%s", scrub(repr(exc)))

    async def _answer(self, open_kfid: str, userid: str, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            key = f"{CHANNEL}:msg:{message.get('msgid')}"
            if not await run_in_threadpool(self._wechat.claim, key):
                continue  # read before, by this replica or another
            state = await self._state(open_kfid, userid)
            if state in (POOL, HUMAN):
                await run_in_threadpool(self._wechat.settle, key, PUSHED)
                continue  # a WeCom member has this citizen: they answer in the WeCom app
            sender = external_id(open_kfid, userid)
            if state is not None:
                await self._take_back(sender)
            replies = await self.citizen_turn(sender, text_of(message))
            if state == NEW:
                await self._move(open_kfid, userid, BOT)
            await run_in_threadpool(self._wechat.settle, key, PUSHED)
            await self.send_all(sender, replies)
            if self._mode == WECOM and any(isinstance(m.reply, HandoffRequest) for m in replies):
                await self._hand_to_wecom(open_kfid, userid, replies)

    async def _take_back(self, sender: str) -> None:
        """WeCom says no member has the citizen (0 or 1, checked by the caller): a case we had
        handed to WeCom's members is over, so the assistant answers this message. Tickets our
        console answers are left alone, so this changes nothing in `console` mode."""
        conversation = await run_in_threadpool(self._store.find_conversation, CHANNEL, sender)
        if conversation is not None and conversation.state != ConversationState.bot:
            await self._handoff.take_back(conversation, ENDED)

    async def _hand_to_wecom(self, open_kfid: str, userid: str, replies: list[OutgoingMessage]) -> None:
        """After the handoff reply (with the case number) has gone out: WeCom's members take
        the citizen, the one mapped to the ticket's area or else whoever WeCom's queue picks.
        If WeCom refuses both, the session stays in 1 and the console answers, as in `console`."""
        ack = next((r for r in (m.reply for m in replies) if isinstance(r, HandoffAck)), None)
        ticket = await self._handoff.ticket(ack.case_number) if ack is not None else None
        if ticket is None:
            return
        servicer = self._servicers.get(ticket.area, "")
        if servicer and await self._move(open_kfid, userid, HUMAN, servicer):
            note = WITH_MEMBER.format(servicer=servicer)
        elif await self._move(open_kfid, userid, POOL):
            note = IN_POOL
        else:
            logger.warning("未能把会话转给企业微信接待人员，工单 %s 留在工作台处理", ticket.case_number)
            return
        try:
            await self._handoff.hand_elsewhere(ticket.case_number, note)
        except TicketConflictError:  # finished in the console meanwhile: nothing to note
            logger.warning("工单 %s 已在工作台结束，未写企业微信接待备注", ticket.case_number)

    async def _state(self, open_kfid: str, userid: str) -> int | None:
        """WeCom's session state, None when WeCom cannot say: then the assistant answers
        (silence would lose the message, which is already claimed), but a case handed to a
        WeCom member is not taken back on a guess."""
        try:
            return await run_in_threadpool(self._client.service_state, open_kfid, userid)
        except Exception as exc:
            logger.warning("无法读取微信客服会话状态：%s", scrub(repr(exc)))
            return None

    async def _move(self, open_kfid: str, userid: str, state: int, servicer: str = "") -> bool:
        """WeCom's `service_state/trans`; False (logged) when WeCom refuses, e.g. a member who
        is not 正在接待 or not activated."""
        try:
            await run_in_threadpool(self._client.move_to, open_kfid, userid, state, servicer)
        except Exception as exc:
            logger.warning("无法变更微信客服会话状态：%s", scrub(repr(exc)))
            return False
        return True

    def send_part(self, external_id: str, text: str) -> None:
        open_kfid, _, userid = external_id.partition(":")
        self._client.send_text(open_kfid, userid, text)


def _wecom(request: Request) -> WeComConnector:
    connector = connector_of(request, WeComConnector)
    if connector is None:
        raise HTTPException(status_code=404, detail="未启用企业微信「微信客服」渠道")
    return connector


@router.get("/wecom/callback")
async def wecom_verify_url(request: Request) -> Response:
    try:
        echostr = _wecom(request).protocol.verify_url(request.query_params)
    except CallbackRefusedError as exc:
        raise HTTPException(status_code=403, detail=f"企业微信签名校验失败：{exc}") from exc
    return PlainTextResponse(echostr)


@router.post("/wecom/callback")
async def wecom_callback(request: Request) -> Response:
    connector = _wecom(request)
    try:
        reply = await connector.on_callback(request.query_params, await request.body())
    except CallbackRefusedError as exc:
        raise HTTPException(status_code=403, detail=f"企业微信签名校验失败：{exc}") from exc
    return PlainTextResponse(reply)
