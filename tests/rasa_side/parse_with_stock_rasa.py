"""Run under .venv-rasa by tests/integration/test_rasa_replacements.py: loads a model with Rasa's
own code (none of bot/scripts/rasa_server.py's replacements installed, TensorFlow's training-
style loader included) and parses each text read from stdin (a JSON list) as `rasa run` would.
Prints one JSON line: the parse of each text, in order."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any


async def parses(model: str, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import load_agent

    agent = await load_agent(model_path=model)
    return [await agent.parse_message(text) for text in texts]


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    model_path, given = sys.argv[1], json.loads(sys.stdin.read())
    if "rasa_server" in sys.modules:
        sys.exit("rasa_server must not be imported here: this is the stock side")
    print(json.dumps(asyncio.run(parses(model_path, given)), ensure_ascii=False, default=float))
