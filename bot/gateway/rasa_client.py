"""HTTP client for the Rasa server (REST channel) and the action server's health check."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.json_http import HttpError, JsonConnectionPool


class RasaUnavailableError(Exception):
    """Rasa (or, through it, the action server) could not produce an answer."""


class RasaClient:
    def __init__(self, rasa_url: str, actions_url: str, timeout_seconds: float) -> None:
        self._rasa = JsonConnectionPool(rasa_url, timeout_seconds)
        self._actions = JsonConnectionPool(actions_url, 5.0)

    async def aclose(self) -> None:
        await self._rasa.close()
        await self._actions.close()

    async def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        """One user turn through the REST channel; returns Rasa's bot messages."""
        body = await self._post("/webhooks/rest/webhook", {"sender": sender, "message": text})
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
        await self._post(f"/conversations/{sender}/tracker/events?include_events=NONE", events)

    async def trigger_intent(self, sender: str, intent: str) -> list[dict[str, Any]]:
        """Make the bot react to an intent nobody typed; returns the bot's messages."""
        body = await self._post(
            f"/conversations/{sender}/trigger_intent?include_events=NONE", {"name": intent}
        )
        messages = body.get("messages") if isinstance(body, dict) else None
        return list(messages or [])

    async def _post(self, path: str, payload: Any) -> Any:
        try:
            status, body = await self._rasa.post(path, payload)
        except HttpError as exc:
            raise RasaUnavailableError(f"Rasa unreachable: {exc}") from exc
        if status != 200:
            raise RasaUnavailableError(f"Rasa answered HTTP {status} to {path}")
        return body

    async def parse(self, text: str) -> dict[str, Any]:
        """Rasa's NLU result for a text (`/model/parse`), without touching any conversation."""
        body: dict[str, Any] = await self._post("/model/parse", {"text": text})
        return body

    async def rasa_ready(self) -> str:
        """Raises unless Rasa is up with a model loaded; returns the model file name."""
        async with asyncio.timeout(5.0):
            status, body = await self._rasa.get("/status")
        model = body.get("model_file") if status == 200 and isinstance(body, dict) else None
        if not model:
            raise RuntimeError(f"Rasa has no model loaded (HTTP {status})")
        return str(model)

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
