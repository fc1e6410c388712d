"""Several Rasa servers (`RASA_URLS`): each conversation sticks to one server, the same one
from every gateway replica, and moves to the next when its server cannot be reached, but
not when it is merely slow (it may still be working on the turn). Scripted Rasa servers
over real HTTP; the real servers on shared stores are in tests/integration/test_resilience.py."""

from __future__ import annotations

import asyncio

import pytest

from bot.gateway.rasa_client import RasaClient, RasaUnavailableError
from bot.runner import free_port
from tests.fake_rasa import FakeRasa, running_fake_rasa

SENDERS = [f"citizen{n}" for n in range(24)]


def url(fake: FakeRasa) -> str:
    return f"http://127.0.0.1:{fake.port}"


async def talk(client: RasaClient, text: str) -> None:
    try:
        for sender in SENDERS:
            assert await client.send(sender, text) == [{"text": f"收到：{text}"}]
    finally:
        await client.aclose()


def test_a_conversation_sticks_to_one_server_and_every_replica_picks_the_same() -> None:
    with running_fake_rasa() as one, running_fake_rasa() as two:
        urls = [url(one), url(two)]
        asyncio.run(talk(RasaClient(urls, urls[0], 5.0), "第一句"))
        asyncio.run(talk(RasaClient(urls, urls[0], 5.0), "第二句"))  # another gateway replica
        for sender in SENDERS:
            served = [fake for fake in (one, two) if fake.asked(sender, "第一句")]
            assert len(served) == 1 and served[0].asked(sender, "第二句") == 1
        assert 0 < sum(one.asked(sender, "第一句") for sender in SENDERS) < len(SENDERS)


def test_a_server_that_is_down_hands_its_conversations_to_the_next() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    with running_fake_rasa() as up:
        client = RasaClient([down, url(up)], down, 5.0)
        moved = [sender for sender in SENDERS if client.servers_for(sender)[0] == 0]
        assert moved  # some conversations belong to the server that is down
        asyncio.run(talk(client, "还在吗"))
        assert all(up.asked(sender, "还在吗") == 1 for sender in SENDERS)


def test_a_slow_server_is_not_bypassed_and_no_server_means_unavailable() -> None:
    with running_fake_rasa(slow_seconds=2.0) as slow, running_fake_rasa() as other:
        client = RasaClient([url(slow), url(other)], url(slow), 0.5)
        [sender] = [s for s in SENDERS if client.servers_for(s)[0] == 0][:1]

        async def slow_turn() -> None:
            try:
                await client.send(sender, "慢一点")
            finally:
                await client.aclose()

        with pytest.raises(RasaUnavailableError, match="Rasa unreachable"):
            asyncio.run(slow_turn())
        assert other.asked(sender, "慢一点") == 0  # the turn may still be under way on `slow`

    nowhere = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]
    with pytest.raises(RasaUnavailableError, match="no Rasa server reachable"):
        asyncio.run(talk(RasaClient(nowhere, nowhere[0], 1.0), "有人吗"))
