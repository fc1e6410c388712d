"""`python -m bot staff add USER --areas education,housing [--admin | --role supervisor]`: create
a staff account (a supervisor reads every ticket and report and acts on none).

The password comes from the STAFF_PASSWORD environment variable (for scripts) or is asked for
twice at a prompt; it is never an argument, so it stays out of shell history and `ps`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from bot.persistence.migrate import upgrade_to_head
from bot.persistence.models import StaffRole
from bot.persistence.staff import StaffError, StaffStore
from bot.persistence.store import create_db_engine
from bot.settings import Settings

ROLE_NAMES = {StaffRole.staff: "工作人员", StaffRole.supervisor: "督查员", StaffRole.admin: "管理员"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="staff_command", required=True)
    add = actions.add_parser("add", help="新增工作人员账号（密码取自 STAFF_PASSWORD 或交互输入）")
    add.add_argument("username")
    add.add_argument("--areas", default="", help="负责的领域，逗号分隔，如 education,housing")
    role = add.add_mutually_exclusive_group()
    role.add_argument("--admin", action="store_true", help="管理员：可看全部领域、审核 FAQ 草稿")
    role.add_argument(
        "--role",
        choices=[r.value for r in StaffRole],
        default=StaffRole.staff.value,
        help="staff（默认，处理负责领域的工单）、supervisor（督查员：查看全部工单和报表，不能接单或回复）、admin",
    )


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
            role = StaffRole.admin if args.admin else StaffRole(args.role)
            staff = StaffStore(engine).add(args.username, password, args.areas.split(","), role)
        finally:
            engine.dispose()
    except StaffError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    areas = "、".join(staff.areas) if staff.role == StaffRole.staff or staff.areas else "全部领域"
    print(f"已创建{ROLE_NAMES[staff.role]} {staff.username}，负责：{areas}")
    return 0
