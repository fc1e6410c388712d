"""The console's HTML pages (login, console, reports), rendered by Jinja2 from the files in
static/ with autoescaping on: a staff name, an area list or an error message is always text in
the page, never markup, whichever attribute or element it lands in.

The pages carry no inline script and no per-response nonce (the gateway's Content-Security-
Policy allows only the scripts we serve, see bot.gateway.security), so rendering needs
nothing but the values.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from fastapi.responses import HTMLResponse

STATIC = Path(__file__).resolve().parent / "static"
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}


@cache
def _environment() -> jinja2.Environment:
    """Built on the first page served, not at import (importing the app reads no file).
    Templates are reloaded when their file changes, as when each request read the file;
    a value a page names but the route did not pass is an error, not an empty string."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(STATIC),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render(name: str, **values: str) -> str:
    return _environment().get_template(name).render(values)


def page(name: str, **values: str) -> HTMLResponse:
    """A console page, never cached and never framed (it shows citizens' conversations)."""
    return HTMLResponse(render(name, **values), headers=PAGE_HEADERS)
