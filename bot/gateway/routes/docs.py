"""The API docs (`/docs`, `/redoc`): FastAPI's pages under a Content-Security-Policy of their own.

They load Swagger UI and ReDoc from a CDN, and Swagger UI starts with one inline script. The
policy allows that CDN and that script by its SHA-256 hash (recomputed from the page, so a
FastAPI upgrade that changes the script cannot silently break or widen it), never
'unsafe-inline' for scripts. ReDoc styles itself inline and runs a worker from a blob: URL.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from bot.gateway.security import content_security_policy

router = APIRouter(include_in_schema=False)

CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def with_docs_policy(page: HTMLResponse) -> HTMLResponse:
    hashes = [script_hash(s) for s in _INLINE_SCRIPT.findall(bytes(page.body).decode())]
    page.headers["Content-Security-Policy"] = content_security_policy(
        script_src=("'self'", CDN, *hashes),
        style_src=("'self'", "'unsafe-inline'", CDN, "https://fonts.googleapis.com"),
        font_src=("'self'", "https://fonts.gstatic.com"),
        img_src=("'self'", "data:", "https:"),
        worker_src=("'self'", "blob:"),
    )
    return page


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    app = request.app
    return with_docs_policy(
        get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title} · 接口文档", oauth2_redirect_url=None
        )
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    app = request.app
    return with_docs_policy(get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} · 接口文档"))
