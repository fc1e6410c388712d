"""`python -m bot {run,train}`: the commands behind `make run`."""

from __future__ import annotations

import argparse
import sys

from bot.runner import run
from bot.settings import load_settings
from bot.training import TrainingError, ensure_model
from knowledge.catalog import CatalogError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="政务咨询助手")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="按需训练并启动 Rasa、动作服务和网关")
    commands.add_parser("train", help="训练数据有变化时训练 Rasa 模型")
    args = parser.parse_args(argv)
    settings = load_settings()
    try:
        if args.command == "train":
            ensure_model(settings)
            return 0
        return run(settings)
    except (TrainingError, CatalogError) as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
