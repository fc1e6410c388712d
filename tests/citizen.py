"""A citizen's conversation token in tests: every test gateway signs with this secret (see
make_settings), so a test that did not keep the first reply can still read a conversation
the way its citizen would."""

from __future__ import annotations

from bot.gateway.conversation_access import TOKEN_HEADER, ConversationAccess

CONVERSATION_SECRET = "test-conversation-secret"


def conversation_token(sender_id: str) -> str:
    return ConversationAccess(CONVERSATION_SECRET.encode()).token_for(sender_id)


def citizen_headers(sender_id: str) -> dict[str, str]:
    return {TOKEN_HEADER: conversation_token(sender_id)}


def citizen_socket(sender_id: str) -> str:
    """The path of the citizen WebSocket of an existing conversation, token included."""
    return f"/api/v1/chat/{sender_id}/ws?token={conversation_token(sender_id)}"
