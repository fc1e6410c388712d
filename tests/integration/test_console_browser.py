"""The staff console in a real browser (Debian's chromium, headless, driven by Playwright):
log in, see a citizen's request arrive live, claim it, answer, resolve, while the citizen's
own session (a WebSocket to the gateway) receives the answer and then the bot again."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import connect

from bot.runner import Supervisor
from bot.settings import Settings
from tests.staff import PASSWORD, ensure_staff

pytestmark = pytest.mark.integration


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/console")
    expect(page).to_have_url(f"{base}/console/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/console")
    expect(page.locator("#live")).to_have_text("实时连接正常")


def next_message(citizen: Any, role: str) -> dict[str, Any]:
    while True:
        event = json.loads(citizen.recv(timeout=20))
        if event["type"] == "message" and event["message"]["role"] == role:
            return dict(event["message"])


def test_staff_claims_answers_and_resolves_in_the_browser(
    system: tuple[Settings, Supervisor], browser: Browser
) -> None:
    settings, _ = system
    ensure_staff(settings, "browser_clerk", "--areas", "housing,certificates,transport")
    base = f"http://127.0.0.1:{settings.port}"
    page = browser.new_page()
    log_in(page, base, "browser_clerk")

    with connect(f"ws://127.0.0.1:{settings.port}/api/v1/chat/web1/ws") as citizen:
        citizen.send(json.dumps({"text": "补办身份证要带什么材料"}))
        citizen.send(json.dumps({"text": "我要人工"}))
        reply: dict[str, Any] = {}
        while reply.get("state") != "queued":
            event = json.loads(citizen.recv(timeout=30))
            reply = event if event["type"] == "reply" else reply
        case = next(m["data"]["case_number"] for m in reply["messages"] if m["data"].get("case_number"))

        row = page.locator(f'#queue li[data-case="{case}"]')
        expect(row).to_be_visible(timeout=15000)  # arrived live, no reload
        expect(row).to_contain_text("市民要求人工")
        row.click()
        detail = page.locator("#detail")
        expect(detail.locator(".transcript")).to_contain_text("补办身份证要带什么材料")
        detail.get_by_role("button", name="接单").click()
        expect(detail.locator(".case")).to_contain_text("处理中")
        assert "工作人员已接单" in next_message(citizen, "system")["text"]

        answer = "您好，补办身份证请带户口簿到户籍所在地派出所办理，工本费 20 元。"
        detail.get_by_label("回复内容").fill(answer)
        detail.get_by_role("button", name="发送回复").click()
        assert next_message(citizen, "staff")["text"] == answer
        expect(detail.locator(".transcript")).to_contain_text(answer)

        detail.get_by_label("处理备注").fill("已告知材料与费用")
        detail.get_by_role("button", name="已解决，交回机器人").click()
        expect(detail.locator(".case")).to_contain_text("已解决")
        back = next_message(citizen, "bot")
        assert back["text"].startswith("工作人员已处理完您的问题")
        assert len(next_message(citizen, "bot")["buttons"]) == 5
    page.close()
