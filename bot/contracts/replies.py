"""The `data` a message to the citizen carries: one pydantic model per kind, told apart by
`type` (a discriminated union). Actions build them and send `reply.dump()` as Rasa's custom
payload; the gateway adds its own (the handoff acknowledgement, queue notes, staff replies);
the gateway, connectors and reports read them back through `parse_reply`.

`dump()` gives exactly the JSON the channels and the stored payloads have always carried:
the fields in the order declared, `None` kept except where a kind leaves the key out
(`OMIT_NONE`). Extra keys are kept on parsing (the gateway adds `case_number` to the replies
that end a handoff), so a payload read and dumped again loses nothing.

Part of the core: imports nothing of ours above `bot.contracts`.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot.contracts.areas import Area
from bot.contracts.tickets import HandoffReason

logger = logging.getLogger(__name__)


class ReplyType(StrEnum):
    """Every `data.type` a message to the citizen may carry."""

    # sent by the actions
    answer = "answer"
    clarify = "clarify"
    honest_no = "honest_no"
    faq = "faq"
    place = "place"
    ask_item = "ask_item"
    out_of_scope = "out_of_scope"
    rephrase = "rephrase"
    confirm_guess = "confirm_guess"
    rating = "rating"
    handoff = "handoff"
    # sent by the gateway
    handoff_ack = "handoff_ack"
    queued = "queued"
    claimed = "claimed"
    transferred = "transferred"
    staff_reply = "staff_reply"
    closed = "closed"
    back_to_bot = "back_to_bot"
    no_reply = "no_reply"
    second_rating = "second_rating"
    second_rating_recorded = "second_rating_recorded"


# The bot's replies that answer from the guide (counted by the bot-answer report).
ANSWER_TYPES: tuple[ReplyType, ...] = (ReplyType.answer, ReplyType.faq, ReplyType.place)
# The bot's replies that admit it has no answer (the knowledge-gap report), besides handoffs.
GAP_REPLY_TYPES: tuple[ReplyType, ...] = (ReplyType.honest_no, ReplyType.rephrase, ReplyType.ask_item)


class _Reply(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    # Keys left out of the payload when their value is None (never sent by that kind before).
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()

    def dump(self) -> dict[str, Any]:
        """The JSON payload, as channels and the store carry it."""
        data = self.model_dump(mode="json")
        return {k: v for k, v in data.items() if not (v is None and k in self.OMIT_NONE)}

    def as_given(self) -> dict[str, Any]:
        """Only the keys the payload was built or parsed with (extras included), as JSON."""
        return self.model_dump(mode="json", exclude_unset=True)


class Answer(_Reply):
    type: Literal[ReplyType.answer] = ReplyType.answer
    item_id: str
    area: Area
    question: str  # a knowledge QuestionType value
    source: str
    last_verified: str  # ISO date


class Clarify(_Reply):
    """Candidates offered as buttons."""

    type: Literal[ReplyType.clarify] = ReplyType.clarify
    question: str
    item_ids: list[str]


class HonestNo(_Reply):
    """Not in the guide; the question is known when the message asked one, and the matter
    (an id of knowledge/referrals.yml) when it is one whose usual handler the reply names."""

    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"question", "matter"})
    type: Literal[ReplyType.honest_no] = ReplyType.honest_no
    question: str | None = None
    matter: str | None = None


class Faq(_Reply):
    type: Literal[ReplyType.faq] = ReplyType.faq
    faq_id: str
    area: Area
    confidence: float


class Place(_Reply):
    """A service hall's address or hours."""

    type: Literal[ReplyType.place] = ReplyType.place
    place_id: str
    question: str


class AskItem(_Reply):
    type: Literal[ReplyType.ask_item] = ReplyType.ask_item


class OutOfScope(_Reply):
    type: Literal[ReplyType.out_of_scope] = ReplyType.out_of_scope


class Rephrase(_Reply):
    type: Literal[ReplyType.rephrase] = ReplyType.rephrase


class ConfirmGuess(_Reply):
    """«您是想了解X的Y吗？» with 是的 / 不是."""

    type: Literal[ReplyType.confirm_guess] = ReplyType.confirm_guess
    item_id: str
    question: str


class Rating(_Reply):
    type: Literal[ReplyType.rating] = ReplyType.rating
    score: int


class HandoffRequest(_Reply):
    """An action asks for a person: the gateway turns it into a ticket in `area`'s queue.
    Everything but the type has a default, as the gateway has always read it."""

    type: Literal[ReplyType.handoff] = ReplyType.handoff
    reason: HandoffReason = HandoffReason.request_human
    area: Area = Area.other
    area_confidence: float = 0.0
    area_named_by_citizen: bool = False
    description: str = ""
    service_item: str | None = None
    intent: str | None = None
    question_type: str | None = None
    slots: dict[str, Any] = Field(default_factory=dict)

    @field_validator("reason", "area", mode="before")
    @classmethod
    def _empty_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        """A missing, empty or null reason or area is the default (as the gateway read it)."""
        return value if value else cls.model_fields[str(info.field_name)].default


class HandoffAck(_Reply):
    """The case number and queue position (or when staff will be back)."""

    type: Literal[ReplyType.handoff_ack] = ReplyType.handoff_ack
    case_number: str
    queue_position: int
    office_open: bool
    next_opening: str | None  # ISO datetime, when the office is closed


class Queued(_Reply):
    """A queued citizen wrote again: where they stand."""

    type: Literal[ReplyType.queued] = ReplyType.queued
    case_number: str
    queue_position: int


class Claimed(_Reply):
    type: Literal[ReplyType.claimed] = ReplyType.claimed
    case_number: str


class Transferred(_Reply):
    """转办: the case moved to another area's queue."""

    type: Literal[ReplyType.transferred] = ReplyType.transferred
    case_number: str
    area: Area
    department: str
    queue_position: int


class StaffReply(_Reply):
    type: Literal[ReplyType.staff_reply] = ReplyType.staff_reply
    case_number: str


class Closed(_Reply):
    """Staff ended the case without going back to the bot."""

    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"case_number"})
    type: Literal[ReplyType.closed] = ReplyType.closed
    case_number: str | None = None


class BackToBot(_Reply):
    """The case is resolved and the bot takes over (when Rasa could not say so itself)."""

    OMIT_NONE: ClassVar[frozenset[str]] = frozenset({"case_number"})
    type: Literal[ReplyType.back_to_bot] = ReplyType.back_to_bot
    case_number: str | None = None


class NoReply(_Reply):
    """Rasa answered nothing."""

    type: Literal[ReplyType.no_reply] = ReplyType.no_reply


class SecondRating(_Reply):
    """追评: the citizen is asked to rate the rectification of follow-up task `follow_up`."""

    type: Literal[ReplyType.second_rating] = ReplyType.second_rating
    follow_up: int


class SecondRatingRecorded(_Reply):
    type: Literal[ReplyType.second_rating_recorded] = ReplyType.second_rating_recorded
    recorded: bool


ReplyData = Annotated[
    Answer
    | Clarify
    | HonestNo
    | Faq
    | Place
    | AskItem
    | OutOfScope
    | Rephrase
    | ConfirmGuess
    | Rating
    | HandoffRequest
    | HandoffAck
    | Queued
    | Claimed
    | Transferred
    | StaffReply
    | Closed
    | BackToBot
    | NoReply
    | SecondRating
    | SecondRatingRecorded,
    Field(discriminator="type"),
]
_REPLY_DATA: TypeAdapter[ReplyData] = TypeAdapter(ReplyData)
_TYPES = frozenset(ReplyType)


def parse_reply(data: Any) -> ReplyData | None:
    """The typed reply a message's `data` holds; None when it holds none (no type, a type
    of no known kind, or fields of the wrong shape: logged, never raised, since a stored
    payload must stay readable)."""
    if not isinstance(data, dict) or data.get("type") not in _TYPES:
        return None
    try:
        return _REPLY_DATA.validate_python(data)
    except ValidationError as exc:
        logger.warning("消息 data 不符合 %s 的格式：%s", data.get("type"), exc.errors(include_url=False))
        return None


def reply_type(data: Any) -> ReplyType | None:
    """Only the kind, without validating the fields (cheap, for filtering)."""
    kind = data.get("type") if isinstance(data, dict) else None
    return ReplyType(kind) if kind in _TYPES else None
