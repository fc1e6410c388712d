"""Our Rasa launcher's replacements, all at once, against Rasa's own code on our trained model:
~130 varied texts (dev singles of every area, and the short follow-ups, greetings and thanks
citizens send) parsed by the running server and by stock Rasa (`rasa.core.agent`, nothing
replaced, in a subprocess of .venv-rasa) must give the same intent, the same ranking order, the
same entities, and every confidence within 1e-5. The running server parses each text three ways:
through a conversation (the parse thread; a cache miss), again in another conversation (a cache
hit) and through `/model/parse` (no tracker: Rasa's own parse_message around our inner parts)."""

from __future__ import annotations

import json
import math
import subprocess
from typing import Any

import httpx
import pytest
import yaml

from bot.runner import Supervisor
from bot.settings import REPO_ROOT, Settings
from bot.training import rasa_environment
from tests.rasa_side_runner import CHECKS, rasa_python

pytestmark = pytest.mark.integration

DEV_SINGLES = REPO_ROOT / "knowledge" / "eval" / "e2e" / "dev"
PER_FILE = 2
SHORT_TEXTS = [
    *("你好", "谢谢", "好的", "再见", "你是谁", "转人工", "人工客服", "我要投诉"),
    *("要多少钱", "在哪里办", "那要多久呢", "身份证", "公积金", "社保卡丢了"),
]
TOLERANCE = 1e-5
# What each parse says about its text; the message's own id and metadata are left out.
COMPARED = ("text", "intent", "intent_ranking", "entities", "response_selector")


def varied_texts() -> list[str]:
    """Every area's dev singles (two of each file, spread over it) and the short texts."""
    texts: list[str] = []
    for path in sorted(DEV_SINGLES.glob("singles_*.yml")):
        questions = [q["text"] for q in yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]]
        step = max(1, len(questions) // PER_FILE)
        texts += questions[::step][:PER_FILE]
    return list(dict.fromkeys(texts + SHORT_TEXTS))


def model_of(supervisor: Supervisor) -> str:
    [rasa] = [kid for kid in supervisor.kids if kid.name == "rasa"]
    return rasa.argv[rasa.argv.index("--model") + 1]


def stock_parses(settings: Settings, model: str, texts: list[str]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [rasa_python(settings), str(CHECKS / "parse_with_stock_rasa.py"), model],
        input=json.dumps(texts, ensure_ascii=False),
        env=rasa_environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    parsed: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return parsed


def differences(ours: Any, stock: Any, where: str = "") -> list[str]:
    """Where two parses differ: any structure, name, order or value, except numbers within
    TOLERANCE of each other."""
    if isinstance(stock, dict) and isinstance(ours, dict):
        if set(ours) != set(stock):
            return [f"{where}: keys {sorted(ours)} != {sorted(stock)}"]
        return [d for key in stock for d in differences(ours[key], stock[key], f"{where}.{key}")]
    if isinstance(stock, list) and isinstance(ours, list):
        if len(ours) != len(stock):
            return [f"{where}: {len(ours)} items != {len(stock)}"]
        return [
            d
            for i, (a, b) in enumerate(zip(ours, stock, strict=True))
            for d in differences(a, b, f"{where}[{i}]")
        ]
    numbers = (int, float)
    if isinstance(ours, numbers) and isinstance(stock, numbers) and not isinstance(ours, bool):
        return (
            [] if math.isclose(ours, stock, rel_tol=0, abs_tol=TOLERANCE) else [f"{where}: {ours} != {stock}"]
        )
    return [] if ours == stock else [f"{where}: {ours!r} != {stock!r}"]


def conversation_parse(settings: Settings, sender: str, text: str) -> dict[str, Any]:
    """The text as a citizen's message in a conversation: Rasa parses it with the tracker."""
    reply = httpx.post(
        f"{settings.rasa_url}/conversations/{sender}/messages",
        json={"text": text, "sender": "user"},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    [*_, last] = [event for event in reply.json()["events"] if event["event"] == "user"]
    parse: dict[str, Any] = last["parse_data"]
    return parse


def model_parse(settings: Settings, text: str) -> dict[str, Any]:
    """The text through `/model/parse`: no tracker, so Rasa's own `parse_message` runs."""
    reply = httpx.post(f"{settings.rasa_url}/model/parse", json={"text": text}, timeout=60)
    assert reply.status_code == 200, reply.text
    parse: dict[str, Any] = reply.json()
    return parse


def test_running_server_parses_as_stock_rasa_does(system: tuple[Settings, Supervisor]) -> None:
    settings, supervisor = system
    texts = varied_texts()
    assert 120 <= len(texts) <= 170  # two of each dev singles file (seven batches) and the short texts
    stock = stock_parses(settings, model_of(supervisor), texts)
    assert len(stock) == len(texts)
    status_before = httpx.get(f"{settings.rasa_url}/status", timeout=10).json()
    found: list[str] = []
    for number, (text, expected) in enumerate(zip(texts, stock, strict=True)):
        expected = {key: expected[key] for key in COMPARED if key in expected}
        ways = {
            "first": conversation_parse(settings, f"replacements-a-{number}", text),
            "again": conversation_parse(settings, f"replacements-b-{number}", text),
            "model_parse": httpx.post(
                f"{settings.rasa_url}/model/parse", json={"text": text}, timeout=60
            ).json(),
        }
        for way, parse in ways.items():
            got = {key: parse[key] for key in COMPARED if key in parse}
            found += [f"{text!r} ({way}){d}" for d in differences(got, expected)]
            # Spelled out, what the check above covers among the rest:
            assert got["intent"]["name"] == expected["intent"]["name"], text
            names = [intent["name"] for intent in got["intent_ranking"]]
            assert names == [intent["name"] for intent in expected["intent_ranking"]], text
    assert not found, "\n".join(found[:30])
    status = httpx.get(f"{settings.rasa_url}/status", timeout=10).json()
    # The second conversation of each text was answered from the parse cache.
    assert status["parse_cache"]["hits"] - status_before["parse_cache"]["hits"] >= len(texts)
    assert status["fallbacks"] == {"inference_loader": 0, "direct_predict": 0}
    assert status["stock_paths"] == []
