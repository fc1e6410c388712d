"""`python -m bot {run,train,prepare,staff,demo-data,gateway,rasa,actions}`: the commands behind
`make run`, staff accounts, sample data for a newcomer's dashboard, and each server alone (one a
container, deploy/)."""

from __future__ import annotations

import argparse
import sys

from bot import demo_data, staff_cli
from bot.runner import SERVICES, run, serve
from bot.settings import load_settings
from bot.training import TrainingError, ensure_model
from knowledge.catalog import CatalogError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="政务咨询助手")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="按需训练并启动 Rasa、动作服务和网关")
    commands.add_parser("train", help="训练数据有变化时训练 Rasa 模型，并准备索引和领域分类器的向量")
    commands.add_parser("prepare", help="准备知识库索引和领域分类器的向量缓存")
    staff_cli.add_arguments(commands.add_parser("staff", help="管理工作人员账号"))
    demo_data.add_arguments(commands.add_parser("demo-data", help="向空数据库写入标明为演示的示例数据"))
    service_help = {
        "gateway": "只启动网关",
        "rasa": "只启动 Rasa（仅监听本机）",
        "actions": "只启动动作服务（仅监听本机）",
    }
    for name in SERVICES:
        commands.add_parser(name, help=f"{service_help[name]}，不守护、不重启（供容器编排使用，见 deploy/）")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "staff":
        return staff_cli.run(settings, args)
    if args.command == "demo-data":
        return demo_data.run(settings, args)
    try:
        if args.command in ("train", "prepare"):
            # Imported here: the `run` supervisor stays small (no jieba, no scikit-learn).
            from bot.preparation import prepare

            if args.command == "train":
                ensure_model(settings)
            # `train` too: on a fresh clone the area classifier's 2,619 vectors took ~50 s of
            # the first `make run` after training (87 s to ready instead of ~30).
            prepare(settings)
            return 0
        if args.command in SERVICES:
            serve(settings, args.command)
        return run(settings)
    except (TrainingError, CatalogError) as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
