"""The citizen web chat widget in a real browser (Debian's chromium, headless, driven by
Playwright) against the real gateway and Rasa: the demo page at `/` embeds `/widget.js`, a
citizen opens the chat, asks, clicks buttons, reloads and finds the history again; message
text is never HTML; the panel fills a phone screen; everything works from the keyboard.

The widget lives in an open shadow root; Playwright's CSS and role selectors pierce it.
Each test has its own browser context, so its own localStorage and so its own sender_id."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page, expect

from bot.runner import Supervisor
from bot.settings import Settings

pytestmark = pytest.mark.integration

REPLY_TIMEOUT = 20_000  # ms; the first answers of a fresh Rasa can be slow on a small machine
TITLE = "示例区政务咨询"
XSS = "<b>加粗</b><img src=x onerror=alert(1)>"
SHADOW = "() => document.querySelector('[data-zw-widget]').shadowRoot"


@pytest.fixture(scope="module")
def base(system: tuple[Settings, Supervisor]) -> str:
    settings, _ = system
    url = f"http://127.0.0.1:{settings.port}"
    for path in ("/", "/widget.js"):
        response = httpx.get(f"{url}{path}", timeout=10)
        assert response.status_code == 200, f"网关没有提供 {path}（{response.status_code}）"
    return url


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="zh-CN")
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors = watch_for_errors(page)
    yield page
    assert errors == [], errors


def watch_for_errors(page: Page) -> list[str]:
    """JavaScript exceptions and any alert() (an injected script would raise one)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"脚本错误：{error}"))

    def on_dialog(dialog: Dialog) -> None:
        errors.append(f"弹出了对话框：{dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return errors


def open_widget(page: Page, base: str) -> Locator:
    page.goto(f"{base}/")
    page.get_by_role("button", name="打开政务咨询").click()
    panel = page.get_by_role("dialog", name=TITLE)
    expect(panel).to_be_visible()
    return panel


def replies(panel: Locator) -> Locator:
    """Everything said to the citizen (not the built-in greeting), in order."""
    return panel.locator(".msg.bot:not(.greeting), .msg.staff, .msg.system")


def citizen_bubbles(panel: Locator) -> Locator:
    return panel.locator(".msg.citizen .bubble")


def ask(panel: Locator, text: str) -> Locator:
    """Type and send; returns the first new message said back once the reply is complete."""
    before = replies(panel).count()
    panel.get_by_label("输入您的问题").fill(text)
    panel.get_by_role("button", name="发送").click()
    return wait_for_reply(panel, before)


def wait_for_reply(panel: Locator, before: int) -> Locator:
    first = replies(panel).nth(before)
    expect(first).to_be_attached(timeout=REPLY_TIMEOUT)
    expect(panel.get_by_text("正在输入…")).to_be_hidden(timeout=REPLY_TIMEOUT)
    return first


def ask_for_id_card(panel: Locator) -> Locator:
    ask(panel, "补办身份证要带什么材料")
    answer = panel.locator(".msg.bot").filter(has=panel.page.locator("ol")).last
    expect(answer.locator("li").nth(2)).to_be_visible(timeout=REPLY_TIMEOUT)
    return answer


def rate_with_the_button(panel: Locator) -> Locator:
    """「好的再见」 → a rating question with five buttons; click the best one."""
    ask(panel, "好的再见")
    question = replies(panel).filter(has=panel.page.get_by_role("button", name="5 分 非常满意")).last
    expect(question.get_by_role("button")).to_have_count(5)
    before = replies(panel).count()
    question.get_by_role("button", name="5 分 非常满意").click()
    expect(citizen_bubbles(panel).last).to_have_text("5 分 非常满意")
    thanks = wait_for_reply(panel, before)
    expect(thanks).to_contain_text("感谢您的评价")
    return question


def shadow_counts(page: Page, selector: str) -> int:
    count: int = page.evaluate(f"(s) => ({SHADOW})().querySelectorAll(s).length", selector)
    return count


def test_a_question_is_answered_with_a_numbered_list_and_its_source(page: Page, base: str) -> None:
    panel = open_widget(page, base)
    expect(panel).to_contain_text("您好！我是示例区政务咨询助手")
    answer = ask_for_id_card(panel)
    assert answer.locator("li").count() >= 3
    expect(answer).to_contain_text("居民身份证")
    expect(answer).to_contain_text("来源")
    expect(citizen_bubbles(panel)).to_have_text(["补办身份证要带什么材料"])
    sender = page.evaluate("() => localStorage.getItem('zw-widget-sender')")
    assert re.fullmatch(r"w-[0-9a-f]+", sender), sender
    token = page.evaluate("() => localStorage.getItem('zw-widget-token')")
    history = f"{base}/api/v1/chat/{sender}/messages?history=true&channel=widget"
    assert httpx.get(history, timeout=10).status_code == 401  # the sender id alone reads nothing
    kept = httpx.get(history, headers={"X-Conversation-Token": token}, timeout=10)
    assert kept.json()["messages"][0]["text"] == "补办身份证要带什么材料"
    # the widget's conversation is the widget channel's, not the REST API's
    as_rest = httpx.get(
        history.replace("&channel=widget", ""), headers={"X-Conversation-Token": token}, timeout=10
    )
    assert as_rest.status_code == 404


@pytest.mark.parametrize("token", [None, "forged-token-of-thirty-chars-xx"])
def test_an_old_session_without_a_valid_token_starts_a_new_conversation(
    page: Page, base: str, token: str | None
) -> None:
    """A widget from before conversation tokens (a sender id only) or with a token the gateway
    refuses: no history, no error, and the next question opens a conversation of its own."""
    old = "w-old-forged" if token else "w-old-untokened"
    httpx.post(f"{base}/api/v1/chat", json={"sender_id": old, "text": "我的身份证号是多少"}, timeout=30)
    page.goto(f"{base}/")
    page.evaluate(
        "([sender, token]) => { localStorage.setItem('zw-widget-sender', sender);"
        " if (token) localStorage.setItem('zw-widget-token', token); }",
        [old, token],
    )
    panel = open_widget(page, base)
    expect(panel).to_contain_text("您好！我是示例区政务咨询助手")
    ask_for_id_card(panel)
    expect(citizen_bubbles(panel)).to_have_text(["补办身份证要带什么材料"])
    expect(panel.locator(".note.error")).to_have_count(0)
    sender = page.evaluate("() => localStorage.getItem('zw-widget-sender')")
    assert sender != old and re.fullmatch(r"w-[0-9a-f]+", sender), sender
    assert page.evaluate("() => localStorage.getItem('zw-widget-token')")


def test_buttons_send_their_payload_but_show_their_title(page: Page, base: str) -> None:
    panel = open_widget(page, base)
    question = rate_with_the_button(panel)
    for button in question.get_by_role("button").all():
        expect(button).to_be_disabled()
    expect(panel).not_to_contain_text("/rate_service")

    # Extra: a vague question currently offers up to three matching items as buttons.
    first = ask(panel, "提取公积金交房租要带啥")
    candidates = first.locator(".buttons button")
    if candidates.count():
        before = replies(panel).count()
        title = candidates.first.inner_text()
        candidates.first.click()
        expect(citizen_bubbles(panel).last).to_have_text(title)
        answer = wait_for_reply(panel, before)
        expect(answer.locator(".text")).to_have_text(re.compile(r"^【"))


def test_history_survives_a_reload(page: Page, base: str) -> None:
    panel = open_widget(page, base)
    ask_for_id_card(panel)
    rate_with_the_button(panel)

    page.reload()
    page.get_by_role("button", name="打开政务咨询").click()
    panel = page.get_by_role("dialog", name=TITLE)
    expect(citizen_bubbles(panel)).to_have_text(["补办身份证要带什么材料", "好的再见", "5 分 非常满意"])
    answer = panel.locator(".msg.bot").filter(has=panel.page.locator("ol")).last
    expect(answer).to_contain_text("居民身份证")
    expect(answer.locator("li").nth(2)).to_be_visible()
    expect(panel).to_contain_text("感谢您的评价")
    expect(panel).not_to_contain_text("/rate_service")
    for button in panel.get_by_role("button", name="5 分 非常满意").all():
        expect(button).to_be_disabled()  # already used before the reload


def test_message_text_is_never_html(page: Page, base: str) -> None:
    panel = open_widget(page, base)
    ask(panel, XSS)
    bubble_text = f"(s) => ({SHADOW})().querySelector(s).textContent"
    assert page.evaluate(bubble_text, ".msg.citizen .bubble") == XSS
    assert shadow_counts(page, "img") == 0
    assert shadow_counts(page, ".bubble b") == 0

    page.reload()  # the history is rendered as text too
    page.get_by_role("button", name="打开政务咨询").click()
    expect(citizen_bubbles(panel)).to_have_count(1)
    assert page.evaluate(bubble_text, ".msg.citizen .bubble") == XSS
    assert shadow_counts(page, "img") == 0


def test_the_panel_fills_a_phone_screen(browser: Browser, base: str) -> None:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        errors = watch_for_errors(page)
        panel = open_widget(page, base)
        box = panel.bounding_box()
        assert box is not None
        assert box["width"] >= 360 and box["height"] >= 600, box
        expect(panel.get_by_role("button", name="关闭")).to_be_in_viewport()
        expect(panel.get_by_label("输入您的问题")).to_be_in_viewport()
        panel.get_by_role("button", name="关闭").click()
        expect(panel).to_be_hidden()
        assert errors == [], errors
    finally:
        context.close()


def test_everything_works_from_the_keyboard(page: Page, base: str) -> None:
    page.goto(f"{base}/")
    launcher = page.get_by_role("button", name="打开政务咨询")
    launcher.focus()
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name=TITLE)
    expect(panel).to_be_visible()
    field = panel.get_by_label("输入您的问题")
    expect(field).to_be_focused()

    page.keyboard.press("Enter")  # empty: nothing is sent
    page.keyboard.type("第一行")
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    expect(field).to_have_value("第一行\n")
    page.keyboard.press("Control+A")
    before = replies(panel).count()
    page.keyboard.type("补办身份证要带什么材料")
    page.keyboard.press("Enter")
    expect(field).to_have_value("")
    expect(citizen_bubbles(panel)).to_have_text(["补办身份证要带什么材料"])
    expect(wait_for_reply(panel, before)).to_contain_text("居民身份证")

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()


def test_empty_and_overlong_input_is_not_sent(page: Page, base: str) -> None:
    panel = open_widget(page, base)
    field = panel.get_by_label("输入您的问题")
    field.fill("   ")
    panel.get_by_role("button", name="发送").click()
    field.fill("问" * 1001)
    expect(panel.locator(".counter")).to_have_text("1001/1000")
    panel.get_by_role("button", name="发送").click()
    expect(panel.locator(".note.error")).to_contain_text("最多 1000 个字符")
    expect(citizen_bubbles(panel)).to_have_count(0)
    expect(field).to_have_value("问" * 1001)  # kept, so the citizen can shorten it
