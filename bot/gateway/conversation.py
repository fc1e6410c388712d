"""The conversation router: the one place that decides where a citizen's message goes.

Every channel hands messages here. The text is masked first, then stored, then (while the
conversation belongs to the bot) forwarded to Rasa; the bot's replies are stored before they
are returned, so a restart loses nothing that was said.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool

from bot.contracts.conversation import (
    ConversationState,
    ConversationView,
    OutgoingMessage,
    Role,
    StoredMessage,
    TurnResult,
)
from bot.contracts.replies import (
    HandoffRequest,
    NoReply,
    Rating,
    ReplyType,
    SecondRatingRecorded,
    parse_reply,
    reply_type,
)
from bot.gateway.handoff import HandoffService
from bot.gateway.rasa_client import RasaClient, normalise_rasa_messages
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.store import ConversationStore
from bot.privacy import mask_personal_data, nlu_placeholders
from bot.ratings import RATING_SCORES, SATISFACTION_LEVELS, SECOND_RATING
from knowledge.chinese import as_mandarin

NO_REPLY = "抱歉，我暂时无法回答这个问题。您可以换个说法再问，或拨打 12345 政务服务便民热线咨询。"


def handoff_request(data: dict[str, Any]) -> HandoffRequest:
    """The handoff an action asked for; one of the wrong shape (logged by `parse_reply`) is
    still a request for a person, with the defaults."""
    request = parse_reply(data)
    return request if isinstance(request, HandoffRequest) else HandoffRequest()


class ConversationRouter:
    def __init__(
        self, store: ConversationStore, rasa: RasaClient, handoff: HandoffService, ratings: FollowUpStore
    ) -> None:
        self._store = store
        self._rasa = rasa
        self._handoff = handoff
        self._ratings = ratings  # a 差评 opens a follow-up task as it is stored

    async def find(self, channel: str, external_id: str) -> ConversationView | None:
        return await run_in_threadpool(self._store.find_conversation, channel, external_id)

    async def open(self, channel: str, external_id: str) -> ConversationView:
        return await run_in_threadpool(self._store.open_conversation, channel, external_id)

    async def handle_citizen_message(self, channel: str, external_id: str, text: str) -> TurnResult:
        """Store what the citizen wrote (masked, in their own script); Rasa gets simplified.

        While the conversation is queued or with a person the message goes to the ticket (and,
        while a complaint or suggestion waits for a person, to the bot too); a closed
        conversation starts over with the bot."""
        masked = mask_personal_data(text)
        received = await run_in_threadpool(self._store.receive, channel, external_id, masked)
        conversation, incoming = received.conversation, received.message
        if conversation.state == ConversationState.closed:
            await self._handoff.reopen(conversation)
            conversation = await run_in_threadpool(self._store.get_conversation, conversation.id)
        second = SECOND_RATING.match(masked.strip())
        if second is not None:  # 追评: answered here, whoever owns the conversation
            rated = await self._second_rating(conversation, int(second.group(1)), int(second.group(2)))
            return replace(rated, opened=received.opened)
        if conversation.state != ConversationState.bot:
            notes = await self._handoff.on_citizen_message(conversation, incoming)
            if not await self._handoff.bot_still_answers(conversation):
                return TurnResult(conversation, [OutgoingMessage.from_stored(m) for m in notes])
        replies = normalise_rasa_messages(
            await self._rasa.send(conversation.sender_key, as_mandarin(nlu_placeholders(masked)))
        )
        if not replies:
            replies = [{"text": NO_REPLY, "buttons": [], "data": NoReply().dump()}]
        stored = await run_in_threadpool(self._store_replies, conversation.id, replies)
        request = next((r["data"] for r in replies if reply_type(r["data"]) is ReplyType.handoff), None)
        if request is not None:
            stored.append(await self._handoff.open(conversation, handoff_request(request)))
            conversation = await run_in_threadpool(self._store.get_conversation, conversation.id)
        return TurnResult(conversation, [OutgoingMessage.from_stored(m) for m in stored], received.opened)

    async def _second_rating(self, conversation: ConversationView, task_id: int, score: int) -> TurnResult:
        recorded = await run_in_threadpool(
            self._ratings.record_second_rating, task_id, conversation.id, score
        )
        text = (
            f"感谢您的追评（{score} 分，{SATISFACTION_LEVELS[score]}）。"
            if recorded
            else "这项整改已经评价过（或不需要评价），感谢您的反馈。"
        )
        reply = {
            "text": text,
            "buttons": [],
            "data": SecondRatingRecorded(recorded=recorded).dump(),
        }
        stored = await run_in_threadpool(self._store_replies, conversation.id, [reply])
        return TurnResult(conversation, [OutgoingMessage.from_stored(m) for m in stored])

    def _store_replies(self, conversation_id: str, replies: list[dict[str, Any]]) -> list[StoredMessage]:
        for reply in replies:
            rating = parse_reply(reply["data"]) if reply_type(reply["data"]) is ReplyType.rating else None
            if isinstance(rating, Rating) and rating.score in RATING_SCORES:
                self._ratings.record_rating(conversation_id, rating.score)
        return self._store.append_many(
            conversation_id,
            Role.bot,
            [(reply["text"], {"buttons": reply["buttons"], "data": reply["data"]}) for reply in replies],
        )

    async def messages_after(
        self, channel: str, external_id: str, after_id: int, with_citizen: bool = False
    ) -> tuple[ConversationView, list[OutgoingMessage]] | None:
        """What was said to the citizen after `after_id`; with `with_citizen` their own
        messages too (a widget rebuilding its history after a page reload)."""
        conversation = await self.find(channel, external_id)
        if conversation is None:
            return None
        roles = (Role.bot, Role.staff, Role.system) + ((Role.citizen,) if with_citizen else ())
        stored = await run_in_threadpool(self._store.messages_after, conversation.id, after_id, 200, roles)
        return conversation, [OutgoingMessage.from_stored(m) for m in stored]
