"""HTTP client for the Rasa server(s) (REST channel) and the action server (its health and
its area classifier).

With several Rasa servers (`RASA_URLS`) each conversation goes to one of them, picked by a
hash of its sender id that every gateway replica computes alike, and to the next one when
that server cannot be reached. The servers share the tracker store (the app database) and the
lock store (Redis), so the conversation's context moves with it.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

from bot.contracts.areas import Area, AreaAnswer
from bot.json_http import HttpError, JsonConnectionPool


class RasaUnavailableError(Exception):
    """Rasa (or, through it, the action server) could not produce an answer."""


def never_arrived(exc: HttpError) -> bool:
    """The request failed before any server could act on it (refused, reset or dropped:
    a server that is down or was killed), so another server may take it. A timeout is not:
    the server may still be working on the turn."""
    return isinstance(exc.__cause__, (ConnectionError, asyncio.IncompleteReadError))


class RasaClient:
    def __init__(self, rasa_urls: list[str], actions_url: str, timeout_seconds: float) -> None:
        if not rasa_urls:
            raise ValueError("at least one Rasa server is needed")
        self.rasa_urls = list(rasa_urls)
        self._rasa = [JsonConnectionPool(url, timeout_seconds) for url in self.rasa_urls]
        self._actions = JsonConnectionPool(actions_url, 5.0)  # health checks
        self._areas = JsonConnectionPool(actions_url, timeout_seconds)

    async def aclose(self) -> None:
        for pool in self._rasa:
            await pool.close()
        await self._actions.close()
        await self._areas.close()

    def servers_for(self, sender: str) -> list[int]:
        """The servers to try for this conversation, in order: its own, then the others.
        crc32, not `hash()`: Python salts string hashes per process, and every gateway
        replica must pick the same server for one sender."""
        first = zlib.crc32(sender.encode()) % len(self._rasa)
        return [(first + step) % len(self._rasa) for step in range(len(self._rasa))]

    async def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        """One user turn through the REST channel; returns Rasa's bot messages."""
        body = await self._post("/webhooks/rest/webhook", {"sender": sender, "message": text}, sender)
        if not isinstance(body, list):
            raise RasaUnavailableError("Rasa answered something other than a list of messages")
        if not body:
            # Rasa answers 200 with no messages when a custom action fails (e.g. the action
            # server is down); every rule of ours replies, so silence means a broken part.
            await self._raise_if_actions_down()
        return body

    async def _raise_if_actions_down(self) -> None:
        try:
            await self.actions_ready()
        except (HttpError, RuntimeError) as exc:
            raise RasaUnavailableError(f"action server unreachable: {exc!r}") from exc

    async def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        """Add events to a conversation's tracker (`pause` / `resume` around a handoff)."""
        await self._post(f"/conversations/{sender}/tracker/events?include_events=NONE", events, sender)

    async def trigger_intent(self, sender: str, intent: str) -> list[dict[str, Any]]:
        """Make the bot react to an intent nobody typed; returns the bot's messages."""
        body = await self._post(
            f"/conversations/{sender}/trigger_intent?include_events=NONE", {"name": intent}, sender
        )
        messages = body.get("messages") if isinstance(body, dict) else None
        return list(messages or [])

    async def _post(self, path: str, payload: Any, key: str) -> Any:
        """POST to the server `key` (a sender id) belongs to, or the next reachable one."""
        failures = []
        for index in self.servers_for(key):
            try:
                status, body = await self._rasa[index].post(path, payload)
            except HttpError as exc:
                failures.append(f"{self.rasa_urls[index]}: {exc}")
                if never_arrived(exc):
                    continue
                raise RasaUnavailableError(f"Rasa unreachable: {'; '.join(failures)}") from exc
            if status != 200:
                raise RasaUnavailableError(f"Rasa answered HTTP {status} to {path}")
            return body
        raise RasaUnavailableError(f"no Rasa server reachable: {'; '.join(failures)}")

    async def parse(self, text: str) -> dict[str, Any]:
        """Rasa's NLU result for a text (`/model/parse`), without touching any conversation."""
        body: dict[str, Any] = await self._post("/model/parse", {"text": text}, text)
        return body

    async def rasa_ready(self) -> str:
        """Raises unless at least one Rasa server is up with a model loaded; names each
        server's state (a down one is worth knowing even while another serves)."""
        states = await asyncio.gather(*(self._server_state(pool) for pool in self._rasa))
        if not any(state.startswith("ok") for state in states):
            raise RuntimeError(self._describe(states))
        return states[0].removeprefix("ok: ") if len(states) == 1 else self._describe(states)

    def _describe(self, states: list[str]) -> str:
        return "; ".join(f"{url}: {state}" for url, state in zip(self.rasa_urls, states, strict=True))

    @staticmethod
    async def _server_state(pool: JsonConnectionPool) -> str:
        try:
            async with asyncio.timeout(5.0):
                status, body = await pool.get("/status")
        except (HttpError, TimeoutError) as exc:
            return f"down ({type(exc.__cause__ or exc).__name__})"
        model = body.get("model_file") if status == 200 and isinstance(body, dict) else None
        return f"ok: {model}" if model else f"no model (HTTP {status})"

    async def area(self, text: str) -> Area:
        """The area the action server's classifier gives a text (masked, simplified); the first
        call after the action server starts waits for its training."""
        try:
            status, body = await self._areas.post("/area", {"text": text})
        except HttpError as exc:
            raise RasaUnavailableError(f"action server unreachable: {exc!r}") from exc
        if status != 200:
            raise RasaUnavailableError(f"action server answered HTTP {status} to /area")
        return AreaAnswer.model_validate(body).area

    async def actions_ready(self) -> None:
        status, _ = await self._actions.get("/health")
        if status != 200:
            raise RuntimeError(f"action server answered HTTP {status}")


def normalise_rasa_messages(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rasa's REST channel splits one utterance with text and a custom payload into two
    messages; join a payload-only message onto the text message before it."""
    messages: list[dict[str, Any]] = []
    for message in raw:
        text = str(message.get("text") or "")
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in message.get("buttons") or []
        ]
        data = message.get("custom") or {}
        if not text and not buttons and data and messages and not messages[-1]["data"]:
            messages[-1]["data"] = data
            continue
        messages.append({"text": text, "buttons": buttons, "data": data})
    return messages
