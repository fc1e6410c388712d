"""Security headers on every HTTP response the gateway sends.

Every response: `nosniff` (a JSON body or an uploaded text is never run as a script) and a
referrer policy that sends only the origin across sites. HTML pages also get a
Content-Security-Policy: scripts only from files we serve (no inline script, so an injected
`<script>` or `onerror=` does nothing), nothing fetched from elsewhere, and no framing. A page
that needs something else (the widget demo page, the API docs) sets its own policy, built
with `content_security_policy`, and the middleware leaves it alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASELINE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

_DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
    "frame-ancestors": ("'none'",),
}


def content_security_policy(**overrides: Sequence[str]) -> str:
    """The strict default policy with some directives replaced (`style_src=[…]` sets
    `style-src`); the default alone is what every HTML page gets unless it says otherwise."""
    directives = {**_DIRECTIVES, **{name.replace("_", "-"): tuple(v) for name, v in overrides.items()}}
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def frame_ancestors(origins: Sequence[str]) -> tuple[str, ...]:
    """Who may frame a page meant to be embedded: `WIDGET_ORIGINS`, where `*` stays `*`."""
    return ("*",) if "*" in origins else ("'self'", *origins)


DEFAULT_HTML_POLICY = content_security_policy()


class SecurityHeadersMiddleware:
    """Pure ASGI (no response buffering, WebSockets untouched): adds the headers a response
    does not already carry as it starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASELINE_HEADERS.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", DEFAULT_HTML_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)
