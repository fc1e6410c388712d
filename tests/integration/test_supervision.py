"""Supervision against the running system (trained Rasa, action server, gateway): a ticket
transferred to another area tells the citizen; a 非常不满意 pressed on the real rating buttons
opens a follow-up task there; the supervisor's reports count both, and the reports page works
in a real browser (screenshots at desktop and phone width under var/screenshots/)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, expect

from bot.runner import Supervisor
from bot.settings import REPO_ROOT, Settings
from bot.work_calendar import WorkCalendar
from tests.citizen import citizen_headers
from tests.integration.conftest import say
from tests.staff import PASSWORD, bearer, ensure_staff

pytestmark = pytest.mark.integration
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
BROWSER_ZONES = ("Pacific/Pago_Pago", "Pacific/Kiritimati")  # UTC-11 and UTC+14


def test_a_transfer_and_a_bad_rating_through_the_real_dialogue(
    gateway: httpx.Client, system: tuple[Settings, Supervisor]
) -> None:
    settings, _ = system
    ensure_staff(settings, "sv_admin", "--admin")
    ensure_staff(settings, "sv_social", "--areas", "social_security")
    ensure_staff(settings, "sv_sup", "--role", "supervisor")
    say(gateway, "sv1", "公积金租房提取要什么材料")
    queued = say(gateway, "sv1", "我要人工")
    assert queued["state"] == "queued"
    case = next(m["data"]["case_number"] for m in queued["messages"] if m["data"].get("case_number"))
    admin, social, sup = (bearer(gateway, name) for name in ("sv_admin", "sv_social", "sv_sup"))
    first_area = gateway.get(f"/api/v1/tickets/{case}", headers=admin).json()["area"]
    assert first_area != "social_security"

    to_social = {"area": "social_security", "reason": "实为社保"}
    moved = gateway.post(f"/api/v1/tickets/{case}/transfer", headers=admin, json=to_social)
    assert moved.status_code == 200, moved.text
    seen = gateway.get("/api/v1/chat/sv1/messages", headers=citizen_headers("sv1")).json()["messages"]
    assert "您的问题已转交「社保」领域" in seen[-1]["text"] and case in seen[-1]["text"]

    assert gateway.post(f"/api/v1/tickets/{case}/claim", headers=sup).status_code == 403
    assert gateway.post(f"/api/v1/tickets/{case}/claim", headers=social).status_code == 200
    gateway.post(f"/api/v1/tickets/{case}/reply", headers=social, json={"text": "您好，已为您查询。"})
    resolved = gateway.post(f"/api/v1/tickets/{case}/resolve", headers=social, json={"note": "已答复"})
    rating = resolved.json()["messages"][-1]
    worst = next(b for b in rating["buttons"] if b["payload"].endswith('{"rating": "1"}'))
    thanks = say(gateway, "sv1", worst["payload"])
    assert thanks["messages"][0]["text"].startswith("感谢您的评价（1 分，非常不满意）")

    tasks = gateway.get("/api/v1/follow-ups", headers=social).json()["follow_ups"]
    [task] = [t for t in tasks if t["case_number"] == case]
    today = dt.datetime.now(dt.UTC).astimezone().date()
    due = dt.date.fromisoformat(task["due_on"])
    assert task["status_label"] == "待回访" and task["area"] == "social_security"
    assert due in {WorkCalendar().add_working_days(today + dt.timedelta(days=d), 5) for d in (-1, 0, 1)}

    summary = gateway.get("/api/v1/reports/summary", headers=sup).json()
    assert {"from_area": first_area, "to_area": "social_security", "count": 1} in summary["transfers"]
    assert summary["follow_ups"]["open"] >= 1 and summary["satisfaction"][4]["count"] >= 1


def test_the_reports_page_in_a_browser(
    gateway: httpx.Client, system: tuple[Settings, Supervisor], browser: Browser
) -> None:
    """A supervisor opens the reports: seven ECharts charts (served by the gateway, within its
    CSP), five satisfaction rows, the staff figures with a row opening its tickets, a headline
    figure opening its conversations, the breakdowns by channel and area, the bot's answers
    with a row opening the conversations holding them, a heat-map cell opening the
    conversations written in that hour, the knowledge-gap section, the follow-up list read-only."""
    settings, _ = system
    ensure_staff(settings, "sv_sup", "--role", "supervisor")
    say(gateway, "sv2", "我家的狗走丢了能帮我找吗")  # most likely unanswered: a gap, or nothing
    say(gateway, "sv2a", "公积金租房提取要什么材料")  # an answer: a row of the bot's answers
    base = f"http://127.0.0.1:{settings.port}"
    # The browser in a timezone whose date is not the gateway's (Pago Pago and Kiritimati are
    # 25 hours apart, so one of them always differs): the default range must still end on the
    # gateway's today, the day its figures are counted in.
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    elsewhere = next(z for z in BROWSER_ZONES if dt.datetime.now(ZoneInfo(z)).date() != today)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, timezone_id=elsewhere)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    page.goto(f"{base}/console")
    page.get_by_label("用户名").fill("sv_sup")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{base}/console/reports")
    expect(page.locator("#report-status")).to_contain_text(f"{today - dt.timedelta(days=29)} 至 {today}，")
    expect(page.get_by_label("截止日期")).to_have_value(today.isoformat())
    satisfaction = page.locator("table", has=page.locator("caption", has_text="满意度（好差评）"))
    expect(satisfaction.locator("tbody tr")).to_have_count(5)
    expect(satisfaction).to_contain_text("非常不满意")
    expect(page.locator("#report-status")).to_contain_text("全部领域")
    expect(page.locator("#follow-ups caption")).to_have_text("回访任务（按截止日期排序）")
    csv_link = satisfaction.locator("xpath=..").get_by_role("link", name="导出 CSV")
    assert "report=satisfaction" in (csv_link.get_attribute("href") or "")
    expect(page.locator("#report-charts figure.chart")).to_have_count(7)
    for drawn in page.locator("#report-charts .chart-canvas").all():
        expect(drawn.locator("canvas").first).to_be_visible()  # ECharts drew in it
    expect(page.get_by_role("img", name="市民消息量（星期 × 小时）（图表；数字见下方表格）")).to_be_visible()
    by_area = page.locator("table", has=page.locator("caption", has_text="工作人员效能（按领域）"))
    expect(by_area.locator("tbody tr").first).to_be_visible()
    first_area = by_area.locator("tbody tr th a").first
    if first_area.count():  # a row per area with tickets: the earlier tests made some
        first_area.click()
        expect(page.locator("#drill-count")).to_contain_text("共 ")
        expect(page.locator("#drill table caption")).to_have_text("工单明细")
    headline = page.locator("table", has=page.locator("caption", has_text="总体指标"))
    headline.get_by_role("link", name="会话数", exact=True).click()
    expect(page.locator("#drill table caption")).to_have_text("会话明细")
    expect(page.locator("#drill-count")).to_contain_text("个会话")
    expect(page.locator("#drill-note")).to_be_hidden()  # a figure of conversations: nothing to explain
    for caption in ("会话量（按渠道）", "满意度（按领域）", "机器人答复（按问题类型）"):
        expect(page.locator("table caption", has_text=caption)).to_have_count(1)
    week = today - dt.timedelta(days=6)  # a shorter range, still up to the default end
    page.get_by_label("起始日期").fill(week.isoformat())
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#report-status")).to_contain_text(f"{week} 至 {today}，")
    answers = page.locator("table", has=page.locator("caption", has_text="机器人答复（按问题类型）"))
    answers.locator("tbody tr th a").first.click()
    expect(page.locator("#drill-note")).to_contain_text("图中的数字按机器人答复计")
    expect(page.locator("#drill table thead")).to_contain_text("其中所指答复")
    expect(page.locator("#drill table tbody tr").first).to_contain_text("REST 接口")
    heat_map = page.locator("table", has=page.locator("caption", has_text="市民消息量（按周内小时）"))
    heat_map.locator("tbody td:not(:last-child) a").first.click()  # an hour with messages: today's, at least
    expect(page.locator("#drill-title")).to_contain_text(" 时")
    expect(page.locator("#drill-note")).to_contain_text("图中的数字按市民消息计")
    expect(page.locator("#drill table thead")).to_contain_text("其中该时段市民消息")
    expect(page.locator("#drill-count")).to_contain_text("个会话")
    expect(page.locator("#gaps caption")).to_have_text("未能回答的问题（按主题，次数从多到少）")
    assert not [text for text in refused if "Content Security Policy" in text], refused
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / "reports-phone.png"), full_page=True)
    page.close()


def test_a_transfer_in_the_console_and_a_follow_up_worked_to_rectified_in_the_browser(
    gateway: httpx.Client, system: tuple[Settings, Supervisor], browser: Browser
) -> None:
    settings, _ = system
    ensure_staff(settings, "sv_admin", "--admin")
    say(gateway, "sv3", "补办身份证要带什么材料")
    queued = say(gateway, "sv3", "我要人工")
    case = next(m["data"]["case_number"] for m in queued["messages"] if m["data"].get("case_number"))
    base = f"http://127.0.0.1:{settings.port}"
    page = browser.new_page()
    page.goto(f"{base}/console")
    page.get_by_label("用户名").fill("sv_admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#live")).to_have_text("实时连接正常")
    page.locator(f'#queue li[data-case="{case}"]').click()
    detail = page.locator("#detail")
    detail.get_by_label("领域").select_option("education")
    detail.get_by_label("转办原因").fill("实为学籍证明")
    detail.get_by_role("button", name="转办").click()
    expect(detail).to_contain_text(f"{case} 已转办到「教育」")
    notice = gateway.get("/api/v1/chat/sv3/messages", headers=citizen_headers("sv3")).json()["messages"][-1]
    assert notice["data"] == {**notice["data"], "type": "transferred", "area": "education"}

    admin = bearer(gateway, "sv_admin")
    gateway.post(f"/api/v1/tickets/{case}/claim", headers=admin)
    resolved = gateway.post(f"/api/v1/tickets/{case}/resolve", headers=admin, json={"note": ""}).json()
    worst = next(b for b in resolved["messages"][-1]["buttons"] if b["payload"].endswith('{"rating": "2"}'))
    say(gateway, "sv3", worst["payload"])

    page.goto(f"{base}/console/reports")
    for step, note in [("已回访", "已电话回访"), ("整改中", "窗口增加引导"), ("已整改", "已整改并告知市民")]:
        row = page.locator("#follow-ups tbody tr", has_text=case)
        row.locator("select").select_option(label=step)
        row.locator("input").fill(note)
        row.get_by_role("button", name="保存").click()
        expect(page.locator("#follow-ups tbody tr", has_text=case)).to_contain_text(note)
    done = page.locator("#follow-ups tbody tr", has_text=case)
    expect(done).to_contain_text("已整改")
    expect(done).to_contain_text("已办结")
    expect(done.locator(".notes li")).to_have_count(3)
    page.close()
