"""`make eval`, end to end: citizen questions through `POST /api/v1/chat`, judged by what the
citizen sees.

The questions (knowledge/eval/e2e/{dev,test}/) were written from the citizen's side before
anyone looked at the knowledge base's aliases. Each single question and each dialogue turn
expects one outcome: an answer about an item and question, a clarification offering the
right item, an honest «not in the guide», out of scope, or a handoff to an area. Every reply
falls in exactly one bucket:

- `right`: the first reply is the expected outcome;
- `clarified`: candidates offered with the expected item among them (no answer given);
- `wrong`: an answer about another item, or a confident answer where none was expected;
- `right_item_other_question`: the right item, but another question answered;
- `handoff`, `honest_no`, `out_of_scope`, `other`: what happened instead, when not expected.

The test split is never used for tuning; its hash is printed with every result. The stack
is the one already running at `--url`, or one this command starts and stops itself.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from bot.settings import REPO_ROOT, UNTHROTTLED, load_settings
from knowledge.catalog import load_catalog

E2E_DIR = REPO_ROOT / "knowledge" / "eval" / "e2e"
SPLITS = ("dev", "test")
READY_TIMEOUT_SECONDS = 1800.0
Bucket = Literal[
    "right",
    "clarified",
    "wrong",
    "right_item_other_question",
    "handoff",
    "honest_no",
    "out_of_scope",
    "other",
]
BUCKETS: tuple[Bucket, ...] = get_args(Bucket)


class _Strict(BaseModel):
    """Every evaluation file is validated strictly: a misspelt key is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class ExpectedAnswer(_Strict):
    item: str
    question: str


class ExpectedHandoff(_Strict):
    area: str


class ExpectedClarify(_Strict):
    items: list[str]


class Expectation(_Strict):
    """One of: answer, clarify, handoff, honest_no, out_of_scope (YAML: a mapping or a word)."""

    answer: ExpectedAnswer | None = None
    clarify: ExpectedClarify | None = None
    handoff: ExpectedHandoff | None = None
    honest_no: bool = False
    out_of_scope: bool = False

    @model_validator(mode="before")
    @classmethod
    def _word(cls, value: Any) -> Any:
        return {value: True} if isinstance(value, str) else value

    @property
    def kind(self) -> str:
        for name in ("answer", "clarify", "handoff"):
            if getattr(self, name) is not None:
                return name
        return "honest_no" if self.honest_no else "out_of_scope"


class Single(_Strict):
    text: str
    style: str
    expect: Expectation


class SinglesFile(_Strict):
    area: str
    questions: list[Single]


class DialogueTurn(_Strict):
    text: str
    expect: Expectation


class Dialogue(_Strict):
    id: str
    kind: str
    turns: list[DialogueTurn]


class DialoguesFile(_Strict):
    dialogues: list[Dialogue]


@dataclass
class EvalSet:
    split: str
    singles: list[tuple[str, Single]]  # (area, question)
    dialogues: list[Dialogue]
    digest: str


def split_files(split: str, root: Path = E2E_DIR) -> list[Path]:
    return sorted((root / split).glob("*.yml"))


def load_split(split: str, root: Path = E2E_DIR) -> EvalSet:
    files = split_files(split, root)
    digest = hashlib.sha256()
    singles: list[tuple[str, Single]] = []
    dialogues: list[Dialogue] = []
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        data = yaml.safe_load(raw)
        if "dialogues" in data:
            dialogues += DialoguesFile.model_validate(data).dialogues
        else:
            parsed = SinglesFile.model_validate(data)
            singles += [(parsed.area, q) for q in parsed.questions]
    return EvalSet(split, singles, dialogues, digest.hexdigest())


@dataclass(frozen=True)
class Observed:
    """What one reply did, reduced to what the buckets need."""

    answers: tuple[tuple[str, str], ...]  # (item id, question) answered
    offered: tuple[str, ...]  # item ids offered as candidates
    handoff_area: str | None
    honest_no: bool
    out_of_scope: bool
    places: tuple[str, ...] = ()  # halls whose own hours or address were answered


def observe(reply: dict[str, Any]) -> Observed:
    answers: list[tuple[str, str]] = []
    offered: list[str] = []
    places: list[str] = []
    handoff_area = None
    honest_no = out_of_scope = False
    for message in reply.get("messages", []):
        data = message.get("data") or {}
        kind = data.get("type")
        if kind == "answer":
            answers.append((str(data.get("item_id")), str(data.get("question"))))
        elif kind == "clarify":
            offered += [str(i) for i in data.get("item_ids", [])]
        elif kind == "place":
            places.append(str(data.get("place_id")))
        elif kind == "handoff":
            handoff_area = str(data.get("area"))
        elif kind == "honest_no":
            honest_no = True
        elif kind == "out_of_scope":
            out_of_scope = True
    if handoff_area is None and reply.get("state") in ("queued", "human"):
        handoff_area = "?"
    return Observed(tuple(answers), tuple(offered), handoff_area, honest_no, out_of_scope, tuple(places))


# The questions a hall's own reply answers: «出入境大厅礼拜六上班吗» in a conversation about
# 护照 is answered by the hall's hours, which is what the citizen asked.
_PLACE_QUESTIONS = frozenset({"hours", "location"})


def bucket(
    expect: Expectation, seen: Observed, places_of: Mapping[str, Sequence[str]] | None = None
) -> Bucket:
    """The outcome of one reply; `places_of` (item id → its halls) lets a hall's own reply
    count as the answer to an hours or location question about an item handled there."""
    if seen.answers:
        item, question = seen.answers[0]
        if expect.answer is not None and item == expect.answer.item:
            return "right" if question == expect.answer.question else "right_item_other_question"
        if expect.clarify is not None and item in expect.clarify.items:
            return "right"
        return "wrong"
    if expect.clarify is not None and set(seen.offered) & set(expect.clarify.items):
        return "right"
    if expect.answer is not None and expect.answer.item in seen.offered:
        return "clarified"
    if (
        expect.answer is not None
        and expect.answer.question in _PLACE_QUESTIONS
        and set(seen.places) & set((places_of or {}).get(expect.answer.item, ()))
    ):
        return "right"
    if seen.handoff_area is not None:
        return (
            "right" if expect.handoff is not None and expect.handoff.area == seen.handoff_area else "handoff"
        )
    if seen.honest_no:
        return "right" if expect.honest_no else "honest_no"
    if seen.out_of_scope:
        return "right" if expect.out_of_scope else "out_of_scope"
    return "other"


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, result: Bucket) -> None:
        self.counts[result] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, result: str) -> float:
        return self.counts[result] / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.total, **{b: round(self.share(b), 3) for b in BUCKETS}}


class ChatClient:
    def __init__(self, url: str) -> None:
        self._client = httpx.Client(base_url=url, timeout=60)

    def say(self, sender: str, text: str) -> dict[str, Any]:
        response = self._client.post("/api/v1/chat", json={"sender_id": sender, "text": text})
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def close(self) -> None:
        self._client.close()


def _sender() -> str:
    return f"eval-{uuid.uuid4().hex[:16]}"


def run_singles(
    client: ChatClient, singles: Sequence[tuple[str, Single]], places_of: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    def one(entry: tuple[str, Single]) -> dict[str, Any]:
        area, single = entry
        reply = client.say(_sender(), single.text)
        seen = observe(reply)
        return {
            "area": area,
            "style": single.style,
            "expect": single.expect.kind,
            "text": single.text,
            "bucket": bucket(single.expect, seen, places_of),
            "seen": {"answers": seen.answers, "offered": seen.offered, "handoff": seen.handoff_area},
        }

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, singles))


def run_dialogues(
    client: ChatClient, dialogues: Sequence[Dialogue], places_of: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    def one(dialogue: Dialogue) -> dict[str, Any]:
        sender = _sender()
        turns = []
        previous_item: str | None = None
        switched_to_old = False
        for turn in dialogue.turns:
            seen = observe(client.say(sender, turn.text))
            result = bucket(turn.expect, seen, places_of)
            answered = seen.answers[0][0] if seen.answers else None
            expected_item = turn.expect.answer.item if turn.expect.answer else None
            # A right reply (an answer about one of the items a clarification expects) is no
            # switch answered with the old item.
            if (
                answered is not None
                and answered == previous_item
                and expected_item != previous_item
                and result != "right"
            ):
                switched_to_old = True
            turns.append({"text": turn.text, "bucket": result, "answered": answered})
            if answered is not None:
                previous_item = answered
        return {
            "id": dialogue.id,
            "kind": dialogue.kind,
            "right": all(t["bucket"] == "right" for t in turns),
            "old_item_after_switch": switched_to_old,
            "turns": turns,
        }

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, dialogues))


def summarise(
    split: EvalSet, singles: list[dict[str, Any]], dialogues: list[dict[str, Any]]
) -> dict[str, Any]:
    overall = Tally()
    by_area: dict[str, Tally] = defaultdict(Tally)
    by_style: dict[str, Tally] = defaultdict(Tally)
    by_expect: dict[str, Tally] = defaultdict(Tally)
    for row in singles:
        for tally in (overall, by_area[row["area"]], by_style[row["style"]], by_expect[row["expect"]]):
            tally.add(row["bucket"])
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for row in dialogues:
        by_kind[row["kind"]]["n"] += 1
        by_kind[row["kind"]]["right"] += int(row["right"])
    return {
        "split": split.split,
        "sha256": split.digest,
        "singles": overall.as_dict(),
        "singles_by_area": {k: v.as_dict() for k, v in sorted(by_area.items())},
        "singles_by_style": {k: v.as_dict() for k, v in sorted(by_style.items())},
        "singles_by_expectation": {k: v.as_dict() for k, v in sorted(by_expect.items())},
        "dialogues": {
            "n": len(dialogues),
            "fully_right": round(sum(r["right"] for r in dialogues) / max(len(dialogues), 1), 3),
            "old_item_after_switch": sum(r["old_item_after_switch"] for r in dialogues),
            "by_kind": {
                k: {"n": c["n"], "right": round(c["right"] / c["n"], 3)} for k, c in sorted(by_kind.items())
            },
        },
        "failures": [r for r in singles if r["bucket"] != "right"],
        "failed_dialogues": [r for r in dialogues if not r["right"]],
    }


_SHORT = {
    "right": "首答正确",
    "clarified": "澄清含正确项",
    "wrong": "答错",
    "right_item_other_question": "事项对问题错",
    "handoff": "转人工",
    "honest_no": "如实说没有",
    "out_of_scope": "超范围",
    "other": "其他",
}


def print_table(summary: dict[str, Any]) -> None:
    print(f"\n== {summary['split']} 集（sha256 {summary['sha256']}）==")
    header = f"{'':24}{'n':>5}" + "".join(f"{_SHORT[b]:>10}" for b in BUCKETS)
    for title, rows in (
        ("单轮问题合计", {"全部": summary["singles"]}),
        ("按领域", summary["singles_by_area"]),
        ("按问法", summary["singles_by_style"]),
        ("按期望结果", summary["singles_by_expectation"]),
    ):
        print(f"\n{title}\n{header}")
        for name, row in rows.items():
            print(f"{name:24}{row['n']:>5}" + "".join(f"{row[b]:>12.1%}" for b in BUCKETS))
    d = summary["dialogues"]
    print(
        f"\n多轮对话：{d['n']} 段，完全正确 {d['fully_right']:.1%}；"
        f"话题切换后答成上一事项：{d['old_item_after_switch']} 段"
    )
    for kind, row in d["by_kind"].items():
        print(f"  {kind:24}{row['n']:>5}  完全正确 {row['right']:.1%}")


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running_stack(url: str, env: dict[str, str] | None = None) -> Iterator[None]:
    """The stack at `url` if it answers, else one started here (`python -m bot run`, with
    `env` when given) and stopped afterwards."""
    if _ready(url):
        yield
        return
    print(f"{url} 未运行，正在启动系统（python -m bot run，首次需训练模型）……", flush=True)
    # Hundreds of questions from this one address: the stack started here is unthrottled.
    started_env = {**os.environ, **UNTHROTTLED, **(env or {})}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO_ROOT, env=started_env)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while not _ready(url):
            if process.poll() is not None:
                raise RuntimeError("系统启动失败，见上方输出")
            if time.monotonic() > deadline:
                raise RuntimeError("系统未在限定时间内就绪")
            time.sleep(2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    settings = load_settings()
    parser = argparse.ArgumentParser(
        prog="python -m bot.evaluation.e2e", description="端到端评测（经 /api/v1/chat）"
    )
    parser.add_argument("--url", default=f"http://127.0.0.1:{settings.port}", help="网关地址")
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    args = parser.parse_args(argv)
    splits = SPLITS if args.split == "all" else (args.split,)
    out = settings.var_dir / "eval" / "e2e.json"
    results: dict[str, Any] = {}
    places_of = {item.id: item.places for item in load_catalog(settings.knowledge_dir).items.values()}
    with running_stack(args.url):
        client = ChatClient(args.url)
        try:
            for name in splits:
                data = load_split(name)
                print(
                    f"{name} 集：{len(data.singles)} 个单轮问题，{len(data.dialogues)} 段对话 ……", flush=True
                )
                singles = run_singles(client, data.singles, places_of)
                dialogues = run_dialogues(client, data.dialogues, places_of)
                results[name] = summarise(data, singles, dialogues)
                print_table(results[name])
        finally:
            client.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\n结果已写入 {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
