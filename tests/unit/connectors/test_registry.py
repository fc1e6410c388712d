"""The registry lists each channel once, the app mounts every connector's routes, and every
later message to a citizen leaves through the channel connector's `send` (issue 20, part 4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.contracts.conversation import OutgoingMessage, Role
from bot.contracts.replies import HandoffRequest
from bot.gateway.app import create_app
from bot.gateway.bus import LocalBus
from bot.gateway.handoff import HandoffService, PushRefusedError
from bot.gateway.rasa_client import RasaClient
from bot.office_hours import OfficeHours
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.staff import StaffStore
from bot.persistence.store import ConversationStore, create_db_engine
from bot.persistence.tickets import TicketStore
from connectors.registry import CONNECTORS
from knowledge.search import KnowledgeBase
from tests.conftest import make_settings


def test_each_channel_is_listed_once_and_the_app_mounts_its_routes(tmp_path: Path) -> None:
    names = [kind.name for kind in CONNECTORS]
    assert names == ["rest", "widget", "telegram", "wechat", "wecom"]
    app = create_app(make_settings(tmp_path / "var"))
    mounted = {
        "chat": "/api/v1/chat",
        "messages_after": "/api/v1/chat/t1/messages",
        "chat_socket": "/api/v1/chat/t1/ws",
        "demo_page": "/",
        "widget": "/widget.js",
        "webhook": "/telegram/webhook",
        "callback": "/wechat/callback",
        "wecom_callback": "/wecom/callback",
    }
    for name, path in mounted.items():
        params = {"sender_id": "t1"} if "t1" in path else {}
        assert app.url_path_for(name, **params) == path


class Recording:
    def __init__(self, refuse: str | None = None) -> None:
        self.sent: list[tuple[str, OutgoingMessage]] = []
        self.refuse = refuse

    async def send(self, recipient: str, message: OutgoingMessage) -> None:
        if self.refuse:
            raise PushRefusedError(self.refuse)
        self.sent.append((recipient, message))


@dataclass
class OneChannel:
    """Only `channel` runs here."""

    channel: str
    connector: Recording

    def connector_for(self, channel: str) -> Recording | None:
        return self.connector if channel == self.channel else None


@dataclass
class Desk:
    handoff: HandoffService
    store: ConversationStore
    staff: StaffStore
    telegram: Recording


@pytest.fixture
async def desk(tmp_path: Path, kb: KnowledgeBase) -> AsyncIterator[Desk]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade_to_head(url)
    engine = create_db_engine(url)
    store = ConversationStore(engine)
    rasa = RasaClient(["http://127.0.0.1:9"], "http://127.0.0.1:9", 1.0)  # unreachable: logged only
    hours = OfficeHours.parse("mon-sun 00:00-24:00", [], [], "Asia/Shanghai")
    telegram = Recording()
    handoff = HandoffService(
        store, TicketStore(engine), rasa, LocalBus(), hours, kb, OneChannel("telegram", telegram)
    )
    yield Desk(handoff, store, StaffStore(engine), telegram)
    await rasa.aclose()
    engine.dispose()


async def test_staff_replies_and_notes_leave_through_the_channels_send(desk: Desk) -> None:
    conversation = desk.store.open_conversation("telegram", "77")
    ack = await desk.handoff.open(conversation, HandoffRequest())
    assert desk.telegram.sent == []  # the acknowledgement is part of the turn's own reply
    staff = desk.staff.add("wang", "a-long-password", ["other"])
    case_number = ack.payload["data"]["case_number"]
    await desk.handoff.claim(case_number, staff)
    done = await desk.handoff.reply(case_number, staff, "您好，请问要办理什么？")
    assert done.notice is None
    assert [(to, m.role, m.text) for to, m in desk.telegram.sent][-1] == (
        "77",
        Role.staff,
        "您好，请问要办理什么？",
    )
    assert desk.telegram.sent[0][1].role == Role.system and "已接单" in desk.telegram.sent[0][1].text

    desk.telegram.refuse = "暂时发不出去"
    refused = await desk.handoff.reply(case_number, staff, "还在吗？")
    assert refused.notice == "暂时发不出去" and refused.messages[0].text == "还在吗？"  # stored


async def test_a_channel_not_running_here_gets_nothing_and_the_message_is_stored(desk: Desk) -> None:
    conversation = desk.store.open_conversation("wechat", "o-1")
    message = await desk.handoff.tell_citizen(conversation.id, "请为整改结果评分", {})
    assert desk.telegram.sent == []
    assert [m.text for m in desk.store.recent(conversation.id, 5)] == [message.text]
