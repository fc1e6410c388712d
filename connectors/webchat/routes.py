"""`/` (a mock district home page with the widget) and `/widget.js` (the one script tag),
mounted by the REST connector (connectors/rest.py), whose channel the widget speaks."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from bot.gateway.deps import SettingsDep
from bot.gateway.security import content_security_policy, frame_ancestors

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parent / "static"


@router.get("/")
async def demo_page(settings: SettingsDep) -> FileResponse:
    """The strict page policy, except that styles may be inline (the page's own <style> and
    the one the widget puts in its shadow root) and the sites in WIDGET_ORIGINS may frame it."""
    policy = content_security_policy(
        style_src=("'self'", "'unsafe-inline'"), frame_ancestors=frame_ancestors(settings.widget_origins)
    )
    return FileResponse(
        STATIC / "demo.html",
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": policy},
    )


@router.get("/widget.js")
async def widget() -> FileResponse:
    return FileResponse(
        STATIC / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )
