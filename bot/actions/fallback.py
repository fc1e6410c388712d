"""When the assistant did not understand: the two-stage fallback.

1. A loose FAQ pair that answers the message confidently is simply given.
2. First miss: the resolver's decision first (a named item with a clear question is answered,
   candidates offered, a clear question about a matter the guide lacks gets an honest no);
   otherwise confirm its guess («您是想问「补办身份证」的所需材料吗？» 是 / 不是); with no
   guess at all, ask to rephrase.
3. «不是» to the guess: ask to rephrase.
4. Second miss in a row: offer a person (a handoff request the gateway turns into a ticket).

The state (misses in a row, the pending guess) lives in two unfeaturized slots, so the rules
stay one line each and every answer resets it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.answer_question import (
    HONEST_NO_FLOOR,
    RESET_FALLBACK,
    SLOT,
    ActionAnswerQuestion,
    answer_from_faq,
    answer_item,
    asks_again,
    current_turn,
    knowledge_or_apology,
    offer_candidates,
    resolver,
    say_honest_no,
)
from bot.actions.feedback import ActionRequestHuman, complains_about, submit
from bot.actions.handoff import ASKS_FOR_PERSON, classify_area, handoff_payload
from bot.actions.intents import INTENT_QUESTIONS, intent_of, latest_intent, question_of
from bot.actions.question_cues import asks_something, keeps_question, naming_part, question_cue
from bot.actions.resolution import ITEM_KNOWN, SETTLED_BY_CONVERSATION, Outcome
from bot.contracts.replies import ConfirmGuess, Rephrase
from bot.contracts.tickets import HandoffReason
from knowledge.render import QUESTION_LABELS, QuestionType

# A question intent ranked this high is a guess worth confirming.
GUESS_INTENT_CONFIDENCE = 0.15

ASK_REPHRASE = (
    "抱歉，我没有完全理解。能换个说法吗？请说清要办的事和想了解的内容，"
    "例如“补办身份证要带什么材料”“异地就医备案在哪办”。"
)
AFTER_DENY = "好的。请您换个说法，说说要办什么事、想了解什么（材料、费用、流程、地点或时限）。"
OFFER_PERSON = "抱歉，我还是没能理解您的问题，正在为您转接人工服务。"
PLAIN_AFFIRM = "好的。还有其他问题吗？"
PLAIN_DENY = "好的，如有其他问题随时问我。"


def _best_question_intent(tracker: Tracker) -> str | None:
    for ranked in tracker.latest_message.get("intent_ranking") or []:
        name = ranked.get("name")
        if name in INTENT_QUESTIONS and float(ranked.get("confidence") or 0) >= GUESS_INTENT_CONFIDENCE:
            return str(name)
    return None


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        knowledge = knowledge_or_apology(dispatcher)
        if knowledge is None:
            return []
        text = tracker.latest_message.get("text") or ""
        if ASKS_FOR_PERSON.search(text):
            # «医保报销的钱拖了半年…给我转人工»: a person asked for in so many words.
            return await ActionRequestHuman().run(dispatcher, tracker, domain)
        # DIET was unsure of the intent, but the message may still plainly name an item (or be
        # a follow-up to the one being discussed): the resolver decides that as for any question.
        turn = current_turn(tracker)
        decision = resolver(knowledge).decide(turn)
        cue = question_cue(text)
        asks = cue is not None or keeps_question(text)
        # A message without a question of its own, in a conversation, goes on with the question
        # asked before («我是电工，证拿了快六年了要到期» after «特种作业证要带什么»).
        # «我就个体户 开了个小面馆 不干了» after 个体工商户注销的材料: the case told about the item
        # discussed goes on with it too.
        goes_on = not asks and turn.last_question is not None and decision.how in ("named", "follow_up")
        if goes_on and turn.last_question is not None:
            decision = replace(decision, question=turn.last_question)
        # The conversation settles it (a candidate picked, «那X呢» in the previous frame), or
        # the message asks something about an item it names or the one being discussed.
        # A question without a type's cue about an item it names outright («在那边看病医保咋用
        # 要办个啥备案») is understood too: answered with the item's overview.
        understood = (
            decision.how in SETTLED_BY_CONVERSATION
            or (decision.how in ITEM_KNOWN and (asks or goes_on))
            or (decision.how == "named" and asks_something(text))
        )
        if complains_about(text, decision.item):
            # «举报…骗领补贴»: not an answer about the item it mentions, even when it names one
            # and says 材料; «…怎么投诉他» with the item that takes such complaints is a question.
            submit(dispatcher, tracker, HandoffReason.complaint, text.strip())
            return list(RESET_FALLBACK)
        if understood and decision.item is not None:
            question = decision.question
            if question is QuestionType.overview and not asks:
                # No cue in the wording: DIET's likeliest question, however unsure, is the best
                # reading of what is asked about the item («要去银行吗»: where).
                question = question_of(_best_question_intent(tracker))
            return answer_item(dispatcher, tracker, knowledge, decision.item, question)
        offered_at = decision.confidence if decision.outcome is Outcome.clarify and cue is not None else 0.0
        if answer_from_faq(dispatcher, knowledge, text, offered_at):
            return list(RESET_FALLBACK)
        several = len(decision.candidates) > 1
        if (
            decision.outcome is Outcome.clarify
            and decision.how == "candidates"
            and (cue is not None or several)
        ):
            # «社保卡用不了了»: a document named with a trouble told and no question; the items
            # named after it are offered, rather than a yes-or-no on the first of them.
            return [*offer_candidates(dispatcher, decision), *RESET_FALLBACK]
        asks_the_guide = cue is not None or asks_again(turn)
        if (
            decision.outcome is Outcome.honest_no
            and asks_the_guide
            and decision.confidence >= HONEST_NO_FLOOR
        ):
            # A clear question about something the guide does not hold («那驾校教练员证呢» asks
            # the question before about it): say so, guess no neighbour.
            return say_honest_no(dispatcher, decision)

        misses = int(tracker.get_slot("fallback_count") or 0)
        if misses >= 1:
            area = classify_area(text, tracker)
            dispatcher.utter_message(
                text=OFFER_PERSON, json_message=handoff_payload(HandoffReason.fallback, area, tracker, text)
            )
            return list(RESET_FALLBACK)

        intent = _best_question_intent(tracker)
        item = decision.item or (decision.candidates[0] if decision.candidates else None)
        if item is None:
            dispatcher.utter_message(text=ASK_REPHRASE, json_message=Rephrase().dump())
            return [SlotSet("fallback_count", 1), SlotSet("pending_guess", None)]
        question = decision.question if cue is not None else question_of(intent)
        guess_intent = intent_of(question) if cue is not None else (intent or "ask_overview")
        payload = f"/{guess_intent}{json.dumps({SLOT: item.id}, ensure_ascii=False)}"
        dispatcher.utter_message(
            text=f"您是想了解「{item.name}」的{QUESTION_LABELS[question]}吗？",
            buttons=[{"title": "是的", "payload": payload}, {"title": "不是", "payload": "/deny"}],
            json_message=ConfirmGuess(item_id=item.id, question=question.value).dump(),
        )
        guess = json.dumps({"intent": guess_intent, "item": item.id})
        return [SlotSet("fallback_count", 1), SlotSet("pending_guess", guess)]


class ActionConfirmReply(Action):
    """«是的» / «不是», typed or clicked: settles a pending guess, else a plain acknowledgement."""

    def name(self) -> str:
        return "action_confirm_reply"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        affirmed = latest_intent(tracker) == "affirm"
        text = tracker.latest_message.get("text") or ""
        pending = tracker.get_slot("pending_guess")
        if naming_part(text) or (not pending and question_cue(text) is not None):
            # «不是，我问的是港澳通行证»: a correction that names the item meant; «要不要给钱»
            # (read as a «不要»): a question about the item discussed.
            return await ActionAnswerQuestion().run(dispatcher, tracker, domain)
        if not pending:
            dispatcher.utter_message(text=PLAIN_AFFIRM if affirmed else PLAIN_DENY)
            return []
        if not affirmed:
            dispatcher.utter_message(text=AFTER_DENY, json_message=Rephrase().dump())
            return [SlotSet("pending_guess", None)]
        guess = json.loads(str(pending))
        knowledge = knowledge_or_apology(dispatcher)
        if knowledge is None:
            return []
        item = knowledge.resolve(str(guess.get("item", "")))
        if item is None:
            dispatcher.utter_message(text=AFTER_DENY, json_message=Rephrase().dump())
            return [SlotSet("pending_guess", None)]
        return answer_item(dispatcher, tracker, knowledge, item, question_of(guess.get("intent")))
