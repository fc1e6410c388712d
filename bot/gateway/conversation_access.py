"""Who may read a citizen's conversation: the holder of its conversation token, or a
server-to-server integrator with an API key.

The token is an HMAC-SHA256 of the sender id under `CONVERSATION_TOKEN_SECRET`: stateless,
so every replica checks it without a shared table or a database read, and it stays valid as
long as the secret does (a widget keeps it in localStorage next to its sender id). It is handed
out only with the reply that opened the conversation, so knowing or guessing someone's sender
id (a phone number, a user id) no longer opens their history. Rotating the secret ends every
widget's access at once; those widgets then start a new conversation.

When the secret is unset a random one is kept in `var/conversation-token.key`, so one machine
keeps its tokens across restarts; replicas on several machines must share a configured secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, WebSocket
from fastapi.security import APIKeyHeader
from starlette.requests import HTTPConnection

from bot.gateway.errors import ErrorBody
from bot.settings import Settings

TOKEN_HEADER = "X-Conversation-Token"
API_KEY_HEADER = "X-API-Key"
TOKEN_QUERY = "token"  # the WebSocket's (a browser cannot set headers on one)
KEY_FILE = "conversation-token.key"

MISSING = "需要会话凭证：请从本会话第一次回复中的 conversation_token 取得，放在 X-Conversation-Token 请求头中"
WRONG = "会话凭证无效或不属于该会话，无法查看聊天记录"
# WebSocket close codes, so the widget can tell "start a new conversation" from a network drop.
CLOSE_MISSING = 4401
CLOSE_WRONG = 4403

token_header = APIKeyHeader(
    name=TOKEN_HEADER,
    scheme_name="ConversationToken",
    description="会话凭证：POST /api/v1/chat 开启会话时返回的 conversation_token（网页组件自动携带）",
    auto_error=False,
)
api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="ChatApiKey",
    description="服务端对接用的 API 密钥（设置 CHAT_API_KEYS），可读取任一会话",
    auto_error=False,
)


class ConversationAccessError(Exception):
    def __init__(self, status: int, detail: str, close_code: int) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.close_code = close_code


def conversation_secret(settings: Settings) -> bytes:
    """The configured secret, else this machine's own (created once, readable by us only)."""
    if settings.conversation_token_secret:
        return settings.conversation_token_secret.encode()
    path = Path(settings.var_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip().encode()


@dataclass(frozen=True)
class ConversationAccess:
    secret: bytes
    api_keys: Sequence[str] = ()

    def token_for(self, sender_id: str) -> str:
        digest = hmac.new(self.secret, f"conversation:{sender_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def check(self, sender_id: str, token: str | None, api_key: str | None) -> None:
        """ConversationAccessError unless the token is this sender's or the key is configured."""
        if api_key and any(secrets.compare_digest(api_key, known) for known in self.api_keys if known):
            return
        if not token:
            raise ConversationAccessError(401, MISSING, CLOSE_MISSING)
        if not secrets.compare_digest(token, self.token_for(sender_id)):
            raise ConversationAccessError(403, WRONG, CLOSE_WRONG)


def get_conversation_access(connection: HTTPConnection) -> ConversationAccess:
    access: ConversationAccess = connection.app.state.conversation_access
    return access


def require_conversation_access(
    connection: HTTPConnection, sender_id: str, token: str | None, api_key: str | None
) -> None:
    """For the REST reads of a conversation: 401 without a token, 403 with a wrong one."""
    try:
        get_conversation_access(connection).check(sender_id, token, api_key)
    except ConversationAccessError as exc:
        raise HTTPException(status_code=exc.status, detail=exc.detail) from None


def socket_access_error(websocket: WebSocket, sender_id: str) -> ConversationAccessError | None:
    """For the citizen WebSocket of an existing conversation: token from `?token=`, or the key."""
    access = get_conversation_access(websocket)
    try:
        access.check(
            sender_id, websocket.query_params.get(TOKEN_QUERY), websocket.headers.get(API_KEY_HEADER)
        )
    except ConversationAccessError as exc:
        return exc
    return None


ACCESS_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "缺少会话凭证（X-Conversation-Token）或 API 密钥"},
    403: {"model": ErrorBody, "description": "会话凭证无效或不属于该会话"},
}
# The headers, declared so the OpenAPI schema documents them; checked after the rate limit.
TokenHeaderDep = Annotated[str | None, Depends(token_header)]
ApiKeyHeaderDep = Annotated[str | None, Depends(api_key_header)]
