"""The widget script reads only what the contracts define: the `data` fields it reads belong
to the reply models of `bot.contracts.replies`, the kinds it tells apart are `ReplyType`s,
its roles are `Role`s, and every kind that puts the citizen in a queue shows as queued. The
script is read as text (no browser): the browser tests in tests/integration run it."""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic import BaseModel

from bot.contracts.conversation import Role
from bot.contracts.replies import ReplyData, ReplyType
from bot.settings import REPO_ROOT

WIDGET = REPO_ROOT / "connectors" / "webchat" / "static" / "widget.js"


def reply_models() -> list[type[BaseModel]]:
    union, *_ = get_args(ReplyData)  # Annotated[A | B | …, Field(discriminator="type")]
    return list(get_args(union))


def fields_of(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


def kind_of(model: type[BaseModel]) -> ReplyType:
    default: Any = model.model_fields["type"].default
    return ReplyType(default)


def source() -> str:
    return WIDGET.read_text(encoding="utf-8")


def test_every_data_field_the_widget_reads_is_a_field_of_some_reply() -> None:
    read = set(re.findall(r"\bdata\.(\w+)", source()))
    assert read == {"type", "case_number", "queue_position"}  # a new one: check it below
    defined = set().union(*(fields_of(model) for model in reply_models()))
    assert read <= defined, read - defined


def test_every_kind_the_widget_compares_is_a_reply_type() -> None:
    compared = set(re.findall(r'(?<![.\w])type === "(\w+)"', source()))
    assert compared and compared <= set(ReplyType), compared - set(ReplyType)


def test_every_kind_with_a_queue_position_shows_the_citizen_as_queued() -> None:
    """A transfer (转办) puts the case back in a queue: the status line must say so."""
    queued_line = re.search(r"if \(([^)]*)\) \{\s*setStatus\(\"queued\", data, id\)", source())
    assert queued_line is not None
    shown = set(re.findall(r'type === "(\w+)"', queued_line.group(1)))
    placed = {kind_of(model) for model in reply_models() if "queue_position" in fields_of(model)}
    assert placed == {ReplyType.handoff_ack, ReplyType.queued, ReplyType.transferred}
    assert shown == placed


def test_the_widgets_roles_are_the_contracts() -> None:
    roles = re.search(r"const ROLES = \[([^\]]*)\]", source())
    assert roles is not None
    assert re.findall(r'"(\w+)"', roles.group(1)) == [role.value for role in Role]
