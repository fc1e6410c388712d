"""The breakdowns (by channel, area and staff member) and the bot's answers as tables, with
each row's link to the conversations behind it (see tables.Table)."""

from __future__ import annotations

from bot.ratings import SATISFACTION_LEVELS
from bot.reports.bot_answers import BotAnswersResult
from bot.reports.breakdowns import BreakdownResult, GroupFigures
from bot.reports.tables import Cell, Table, area_label, channel_label, conversations_link, percent


def _volume_row(label: str, g: GroupFigures) -> tuple[Cell, ...]:
    return (label, g.conversations, g.citizens, g.messages, g.citizen_messages, g.handoff_conversations)


def _satisfaction_row(label: str, g: GroupFigures) -> tuple[Cell, ...]:
    return (label, *g.satisfaction, g.ratings, percent(g.rating_response_rate), percent(g.bad_rating_rate))


VOLUME_HEADERS = ("会话数", "市民数", "消息数", "其中市民消息", "转人工会话（期间）")
SATISFACTION_HEADERS = (*SATISFACTION_LEVELS.values(), "评价数", "评价率", "差评率")


def breakdown_tables(result: BreakdownResult) -> dict[str, Table]:
    """By channel the bot's own share is shown too; by area it is not, since a conversation
    has an area only once it reached staff."""
    return {
        "volume_by_channel": Table(
            "会话量（按渠道）",
            ("渠道", *VOLUME_HEADERS, "机器人独立解决率"),
            [(*_volume_row(channel_label(g.key), g), percent(g.containment)) for g in result.by_channel],
            [conversations_link(channel=g.key) for g in result.by_channel],
        ),
        "volume_by_area": Table(
            "会话量（按领域，含转入该领域工单的会话）",
            ("领域", *VOLUME_HEADERS),
            [_volume_row(area_label(g.key), g) for g in result.by_area],
            [conversations_link(area=g.key) for g in result.by_area],
        ),
        "satisfaction_by_channel": Table(
            "满意度（按渠道）",
            ("渠道", *SATISFACTION_HEADERS),
            [_satisfaction_row(channel_label(g.key), g) for g in result.by_channel],
            [conversations_link("rated", channel=g.key) for g in result.by_channel],
        ),
        "satisfaction_by_area": Table(
            "满意度（按领域）",
            ("领域", *SATISFACTION_HEADERS),
            [_satisfaction_row(area_label(g.key), g) for g in result.by_area],
            [conversations_link("rated", area=g.key) for g in result.by_area],
        ),
        "satisfaction_by_staff": Table(
            "满意度（按接单人）",
            ("接单人", *SATISFACTION_HEADERS),
            [_satisfaction_row(g.key, g) for g in result.by_staff],
            [conversations_link("rated", staff=g.key) for g in result.by_staff],
        ),
    }


def bot_answer_tables(result: BotAnswersResult) -> dict[str, Table]:
    """These rows count the bot's replies, so each opens on the conversations holding them
    with how many each holds (conversation_list.Containing); a row with no question type
    recorded has no list to open."""
    total = result.answers
    return {
        "bot_answers_by_question": Table(
            "机器人答复（按问题类型）",
            ("问题类型", "答复数", "占比"),
            [(c.label, c.count, percent(c.count / total if total else None)) for c in result.by_question],
            [conversations_link(question_type=c.key) if c.key else None for c in result.by_question],
        ),
        "bot_top_items": Table(
            "市民最常问的事项（机器人答复，前 20 项）",
            ("事项", "领域", "答复数", "所问内容"),
            [
                (
                    item.name,
                    area_label(item.area),
                    item.count,
                    "；".join(f"{q.label} {q.count}" for q in item.by_question),
                )
                for item in result.top_items
            ],
            [conversations_link(item=item.item_id) for item in result.top_items],
        ),
    }
