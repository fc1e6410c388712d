"""`python -m bot staff add USER --areas education,housing [--admin]`: create a staff account.

The password comes from the STAFF_PASSWORD environment variable (for scripts) or is asked for
twice at a prompt; it is never an argument, so it stays out of shell history and `ps`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from bot.persistence.migrate import upgrade_to_head
from bot.persistence.staff import StaffError, StaffStore
from bot.persistence.store import create_db_engine
from bot.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="staff_command", required=True)
    add = actions.add_parser("add", help="新增工作人员账号（密码取自 STAFF_PASSWORD 或交互输入）")
    add.add_argument("username")
    add.add_argument("--areas", default="", help="负责的领域，逗号分隔，如 education,housing")
    add.add_argument("--admin", action="store_true", help="管理员：可看全部领域、审核 FAQ 草稿")


def _password() -> str:
    from_env = os.environ.get("STAFF_PASSWORD")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise StaffError("请设置 STAFF_PASSWORD 环境变量，或在终端中运行以便输入密码")
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再输入一次："):
        raise StaffError("两次输入的密码不一致")
    return first


def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        password = _password()
        upgrade_to_head(settings.effective_database_url)
        engine = create_db_engine(settings.effective_database_url)
        try:
            staff = StaffStore(engine).add(args.username, password, args.areas.split(","), args.admin)
        finally:
            engine.dispose()
    except StaffError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    role = "管理员" if staff.is_admin else "工作人员"
    areas = "、".join(staff.areas) or "全部领域"
    print(f"已创建{role} {staff.username}，负责：{areas}")
    return 0
