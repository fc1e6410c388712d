"""The webhook Telegram posts updates to; the `secret_token` header is checked on every call."""

from __future__ import annotations

import secrets
from typing import Any, cast

from fastapi import APIRouter, HTTPException, Request, Response

from bot.settings import Settings
from connectors.telegram.connector import TelegramConnector

router = APIRouter(include_in_schema=False)
SECRET_HEADER = "x-telegram-bot-api-secret-token"


@router.post("/telegram/webhook")
async def webhook(request: Request) -> Response:
    connector = cast(TelegramConnector | None, request.app.state.telegram)
    if connector is None:
        raise HTTPException(status_code=404, detail="未启用 Telegram")
    settings = cast(Settings, request.app.state.settings)
    presented = request.headers.get(SECRET_HEADER, "")
    if not secrets.compare_digest(presented.encode(), settings.effective_telegram_secret.encode()):
        raise HTTPException(status_code=403, detail="secret_token 不正确")
    data: Any = await request.json()
    if not isinstance(data, dict):
        raise HTTPException(status_code=422, detail="更新应为 JSON 对象")
    await connector.feed(data)
    return Response(status_code=200)
