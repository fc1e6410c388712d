"""The console pages rendered by Jinja2: values are escaped wherever they land, ordinary
values give the same page as the hand-written replacement it took over from, and a value a
page needs but was not given fails instead of rendering empty."""

from __future__ import annotations

import re

import jinja2
import pytest

from bot.console.pages import STATIC, page, render

PAGES = ("console.html", "reports.html")
DATES = {"date_from": "2024-05-02", "date_to": "2024-05-31"}  # the reports page's default range


@pytest.mark.parametrize("name", PAGES)
def test_a_value_with_script_is_text_in_elements_and_attributes(name: str) -> None:
    hostile = '<script>alert("x")</script>'
    text = render(
        name, csrf='"><script>alert(1)</script>', username=hostile, role="staff", areas="a'b", **DATES
    )
    scripts = re.findall(r"<script[^>]*>", text)
    assert all(tag.startswith("<script src=") for tag in scripts), scripts
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;（staff）" in text
    assert 'content="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in text
    assert 'data-areas="a&#39;b"' in text


def test_the_login_error_is_escaped() -> None:
    response = page("login.html", csrf="t", error="<img src=x onerror=alert(1)>")
    body = bytes(response.body).decode()
    assert "<img" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert response.headers["cache-control"] == "no-store" and response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("name", [*PAGES, "login.html"])
def test_plain_values_give_the_page_the_replacement_gave(name: str) -> None:
    values = {"csrf": "abc123", "username": "wang", "role": "staff", "areas": "housing", "error": "", **DATES}
    expected = (STATIC / name).read_text(encoding="utf-8")
    for key, value in values.items():
        expected = expected.replace("{{" + key + "}}", value)
    assert render(name, **values) == expected


def test_a_missing_value_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("console.html", csrf="t", role="staff", areas="")
