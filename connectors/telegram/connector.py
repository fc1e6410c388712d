"""The Telegram connector (python-telegram-bot 22, the `customwebhookbot` pattern).

On when `TELEGRAM_TOKEN` is set. The Application is built without an updater in webhook
mode: the webhook route (`/telegram/webhook`, here) checks the `secret_token` header and puts
`Update.de_json(...)` on the application's queue; the Application is started and stopped in
the gateway's lifespan. Without a public URL (`TELEGRAM_WEBHOOK_URL` unset) it polls, for
local development.

Updates of different chats are handled concurrently, one chat's in order (ordering.py);
outgoing calls go through python-telegram-bot's AIORateLimiter (Telegram's flood limits,
retrying after a 429's retry_after); database reads run in a worker thread, never on the
event loop.

Buttons become an inline keyboard. Telegram allows 64 bytes of callback data, less than a
Rasa payload with an item id, so a button carries «b:<message id>:<index>» and the payload is
read back from the stored message (which survives restarts).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Self

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.contracts.conversation import InboundMessage, OutgoingMessage, Role
from bot.gateway.conversation import ConversationRouter
from bot.persistence.store import ConversationStore
from connectors.base import ChannelContext, Connector, connector_of, split_text
from connectors.telegram.ordering import PerChatOrderedProcessor

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
START_PAYLOAD = "/greet"  # Rasa reads «/intent» as that intent: /start greets
TROUBLE = "抱歉，系统暂时出了点问题，请稍后再试；急事请拨打 12345 政务服务便民热线。"
BUTTON_EXPIRED = "这个按钮已失效，请直接输入您的问题。"
SECRET_HEADER = "x-telegram-bot-api-secret-token"

TelegramApp = Application[Any, Any, Any, Any, Any, Any]


def button_data(message_id: int, index: int) -> str:
    return f"b:{message_id}:{index}"


def keyboard(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    rows = [
        [InlineKeyboardButton(button.title, callback_data=button_data(message.id, index))]
        for index, button in enumerate(message.buttons)
    ]
    return InlineKeyboardMarkup(rows)


def notice(text: str) -> OutgoingMessage:
    """A message of the connector's own (not stored: it answers nothing the router saw)."""
    return OutgoingMessage(id=0, text=text, role=Role.system)


router = APIRouter(include_in_schema=False)


class TelegramConnector(Connector):
    name = CHANNEL
    routes = router

    def __init__(
        self,
        router: ConversationRouter,
        store: ConversationStore,
        token: str,
        api_url: str,
        request: BaseRequest | None = None,
        polling: bool = False,
        webhook_url: str = "",
        secret_token: str = "",
    ) -> None:
        super().__init__(router)
        self._store = store
        self._webhook_url = webhook_url
        self.secret_token = secret_token
        builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(token)
            .base_url(api_url)
            .concurrent_updates(PerChatOrderedProcessor())
            .rate_limiter(AIORateLimiter(max_retries=2))
        )
        if request is not None:
            builder = builder.request(request).get_updates_request(request)
        if not polling:
            builder = builder.updater(None)
        self.application: TelegramApp = builder.build()
        self.application.add_handler(CommandHandler("start", self._on_start))
        self.application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._on_text))
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        self.application.add_error_handler(self._on_error)

    @classmethod
    def from_context(cls, context: ChannelContext) -> Self | None:
        """A webhook with `TELEGRAM_WEBHOOK_URL`, else polling; said once either way."""
        settings = context.settings
        if not settings.telegram_token:
            logger.info("未设置 TELEGRAM_TOKEN，本次不启用 Telegram 渠道")
            return None
        return cls(
            context.router,
            context.store,
            settings.telegram_token,
            settings.telegram_api_url,
            polling=not settings.telegram_webhook_url,
            webhook_url=settings.telegram_webhook_url,
            secret_token=settings.effective_telegram_secret,
        )

    # --- lifecycle (the gateway's lifespan) --------------------------------------------
    async def start(self) -> None:
        await self.application.initialize()
        await self.application.start()
        if self._webhook_url:
            await self.application.bot.set_webhook(
                self._webhook_url,
                secret_token=self.secret_token or None,
                allowed_updates=["message", "callback_query"],
            )
        elif self.application.updater is not None:
            await self.application.bot.delete_webhook()
            await self.application.updater.start_polling(allowed_updates=["message", "callback_query"])
        mode = f"webhook {self._webhook_url}" if self._webhook_url else "轮询"
        logger.info("Telegram 渠道已启用（%s）", mode)

    async def stop(self) -> None:
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()

    async def feed(self, data: dict[str, Any]) -> None:
        """An update as Telegram posted it to the webhook."""
        await self.application.update_queue.put(Update.de_json(data, self.application.bot))

    # --- outbound ------------------------------------------------------------------------
    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        """Long answers are split at line breaks under Telegram's 4,096 characters; the
        keyboard goes with the last part. Telegram links URLs in plain text by itself."""
        prefix = "【工作人员】" if message.role.value == "staff" else ""
        parts = split_text(prefix + message.text, MessageLimit.MAX_TEXT_LENGTH)
        for number, part in enumerate(parts, 1):
            markup = keyboard(message) if number == len(parts) else None
            await self.application.bot.send_message(int(recipient), part, reply_markup=markup)

    async def _reply(self, chat_id: int, text: str) -> None:
        result = await self.handle(InboundMessage(channel=CHANNEL, sender_id=str(chat_id), text=text))
        for message in result.messages:
            await self.send(str(chat_id), message)

    # --- handlers ------------------------------------------------------------------------
    async def _on_start(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None:
            await self._reply(update.effective_chat.id, START_PAYLOAD)

    async def _on_text(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None and update.message is not None and update.message.text:
            await self._reply(update.effective_chat.id, update.message.text)

    async def _on_button(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or update.effective_chat is None:
            return
        await query.answer()
        payload = await run_in_threadpool(
            self._payload_of, str(query.data or ""), str(update.effective_chat.id)
        )
        if payload is None:
            await self.send(str(update.effective_chat.id), notice(BUTTON_EXPIRED))
            return
        await self._reply(update.effective_chat.id, payload)

    def _payload_of(self, data: str, chat_id: str) -> str | None:
        kind, _, rest = data.partition(":")
        message_id, _, index = rest.partition(":")
        if kind != "b" or not message_id.isdigit() or not index.isdigit():
            return None
        stored = self._store.message_in(CHANNEL, chat_id, int(message_id))
        buttons = stored.payload.get("buttons", []) if stored else []
        return str(buttons[int(index)]["payload"]) if int(index) < len(buttons) else None

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one error handler: log it, tell the citizen plainly, never show a trace."""
        logger.error("处理 Telegram 消息出错：%r", context.error, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await self.send(str(update.effective_chat.id), notice(TROUBLE))
            except Exception:
                logger.exception("无法向 Telegram 用户发送出错提示")


@router.post("/telegram/webhook")
async def webhook(request: Request) -> Response:
    """The webhook Telegram posts updates to; the `secret_token` header is checked on every call."""
    connector = connector_of(request, TelegramConnector)
    if connector is None:
        raise HTTPException(status_code=404, detail="未启用 Telegram")
    presented = request.headers.get(SECRET_HEADER, "")
    if not secrets.compare_digest(presented.encode(), connector.secret_token.encode()):
        raise HTTPException(status_code=403, detail="secret_token 不正确")
    data: Any = await request.json()
    if not isinstance(data, dict):
        raise HTTPException(status_code=422, detail="更新应为 JSON 对象")
    await connector.feed(data)
    return Response(status_code=200)
