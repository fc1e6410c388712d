"""What a turn costs inside Rasa, and what our choices of policies and threading save.

Each variant starts the real Rasa server (plus our action server) on free ports, replays the
same message mix through Rasa's REST webhook (NLU, policies, action call: everything but the
gateway), sequentially and at concurrency 10, and reports medians:

- `default-policies`: our NLU pipeline with Rasa's default policies (Memoization, Rule,
  UnexpecTED, TED), TensorFlow with its default thread pools;
- `rule-policy`: the policies we ship (RulePolicy only: every flow is a rule or a form);
- `rule-policy-1-thread`: the same with TensorFlow limited to one intra-op and one inter-op
  thread, as `bot/training.py` starts Rasa.

`python -m bot.evaluation.turn_profile` (about 5 minutes once models are trained).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import yaml

from bot.runner import Supervisor, children, free_port
from bot.settings import REPO_ROOT, Settings, load_settings
from bot.training import CONFIG, DOMAIN, ensure_model, rasa_environment, rasa_executable
from knowledge.service import prepare_knowledge

MESSAGES = (
    "补办身份证要带什么材料",
    "那要多少钱",
    "在哪里办",
    "你好",
    "异地就医备案怎么办理",
    "要多久",
    "我要投诉出租车司机绕路多收钱",
    "车管所几点上班",
    "谢谢",
    "公积金租房提取要带什么材料",
)
DEFAULT_POLICIES = [
    {"name": "MemoizationPolicy"},
    {"name": "RulePolicy"},
    {"name": "UnexpecTEDIntentPolicy", "max_history": 5, "epochs": 100},
    {"name": "TEDPolicy", "max_history": 5, "epochs": 100, "constrain_similarities": True},
]
ONE_THREAD = {"TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1"}


@dataclass(frozen=True)
class TurnTimes:
    variant: str
    turns: int
    p50_ms: float
    p95_ms: float
    concurrent_turns_per_second: float


def default_policies_model(settings: Settings, workdir: Path) -> Path:
    """Our pipeline with Rasa's default policies (NLU components come from Rasa's cache)."""
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config["policies"] = DEFAULT_POLICIES
    config_path = workdir / "config-default-policies.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    target = settings.models_dir / "profile-default-policies.tar.gz"
    if not target.exists():
        command = [
            str(rasa_executable(settings)),
            "train",
            "--config",
            str(config_path),
            "--domain",
            str(DOMAIN),
        ]
        command += ["--data", str(settings.nlu_data_dir), "--out", str(settings.models_dir)]
        command += ["--fixed-model-name", target.name.removesuffix(".tar.gz")]
        subprocess.run(command, cwd=REPO_ROOT, env=rasa_environment(), check=True, stdout=subprocess.DEVNULL)
    return target


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _replay(url: str, sender: str, rounds: int) -> list[float]:
    times = []
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(rounds):
            for text in MESSAGES:
                started = time.perf_counter()
                response = await client.post(url, json={"sender": sender, "message": text})
                response.raise_for_status()
                times.append((time.perf_counter() - started) * 1000)
    return times


async def _measure(url: str, variant: str, rounds: int) -> TurnTimes:
    await _replay(url, f"{variant}-warm", 1)
    sequential = await _replay(url, f"{variant}-seq", rounds)
    started = time.perf_counter()
    batches = await asyncio.gather(*(_replay(url, f"{variant}-c{i}", 1) for i in range(10)))
    elapsed = time.perf_counter() - started
    return TurnTimes(
        variant,
        len(sequential),
        round(statistics.median(sequential), 1),
        round(_percentile(sequential, 0.95), 1),
        round(sum(len(b) for b in batches) / elapsed, 1),
    )


def profile(
    settings: Settings, variant: str, model: Path, extra_env: dict[str, str], rounds: int
) -> TurnTimes:
    kids = [kid for kid in children(settings, model) if kid.name in ("rasa", "actions")]
    for kid in kids:
        kid.env.update(extra_env)
    supervisor = Supervisor(kids)
    supervisor.start()
    try:
        supervisor.wait_ready()
        return asyncio.run(_measure(f"{settings.rasa_url}/webhooks/rest/webhook", variant, rounds))
    finally:
        supervisor.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluation.turn_profile", description="单轮耗时剖析")
    parser.add_argument("--rounds", type=int, default=6, help="顺序重放消息组的轮数（每轮 10 条）")
    args = parser.parse_args(argv)
    base = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        settings = base.model_copy(
            update={"var_dir": Path(tmp) / "var", "rasa_port": free_port(), "actions_port": free_port()}
        )
        prepare_knowledge(settings)
        ours = ensure_model(settings)
        variants = [
            ("default-policies", default_policies_model(settings, Path(tmp)), {}),
            ("rule-policy", ours, {}),
            ("rule-policy-1-thread", ours, ONE_THREAD),
        ]
        results = [profile(settings, name, model, env, args.rounds) for name, model, env in variants]
    print(f"{'方案':<24}{'轮数':>6}{'p50 ms':>10}{'p95 ms':>10}{'并发10 轮/秒':>14}")
    for r in results:
        print(f"{r.variant:<24}{r.turns:>6}{r.p50_ms:>10}{r.p95_ms:>10}{r.concurrent_turns_per_second:>14}")
    out = base.var_dir / "eval" / "turn_profile.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"结果已写入 {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
