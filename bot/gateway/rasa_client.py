"""HTTP client for the Rasa server (REST channel) and the action server's health check."""

from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailableError(Exception):
    """Rasa (or, through it, the action server) could not produce an answer."""


class RasaClient:
    def __init__(self, rasa_url: str, actions_url: str, timeout_seconds: float) -> None:
        self._rasa = httpx.AsyncClient(base_url=rasa_url, timeout=timeout_seconds)
        self._actions = httpx.AsyncClient(base_url=actions_url, timeout=5.0)

    async def aclose(self) -> None:
        await self._rasa.aclose()
        await self._actions.aclose()

    async def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        """One user turn through the REST channel; returns Rasa's bot messages."""
        try:
            response = await self._rasa.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text}
            )
        except httpx.HTTPError as exc:
            raise RasaUnavailableError(f"Rasa unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise RasaUnavailableError(f"Rasa answered HTTP {response.status_code}")
        body = response.json()
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
        except httpx.HTTPError as exc:
            raise RasaUnavailableError(f"action server unreachable: {exc!r}") from exc

    async def parse(self, text: str) -> dict[str, Any]:
        """Rasa's NLU result for a text (`/model/parse`), without touching any conversation."""
        try:
            response = await self._rasa.post("/model/parse", json={"text": text})
        except httpx.HTTPError as exc:
            raise RasaUnavailableError(f"Rasa unreachable: {exc!r}") from exc
        if response.status_code != 200:
            raise RasaUnavailableError(f"Rasa parse answered HTTP {response.status_code}")
        body: dict[str, Any] = response.json()
        return body

    async def rasa_ready(self) -> str:
        """Raises unless Rasa is up with a model loaded; returns the model file name."""
        response = await self._rasa.get("/status", timeout=5.0)
        response.raise_for_status()
        model = response.json().get("model_file")
        if not model:
            raise RuntimeError("Rasa has no model loaded")
        return str(model)

    async def actions_ready(self) -> None:
        response = await self._actions.get("/health")
        response.raise_for_status()
