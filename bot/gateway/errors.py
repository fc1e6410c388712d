"""Error responses in plain Chinese: what was wrong and where, never a stack trace.

One body for every error of every route (`ErrorBody`), and one way to declare it in the
OpenAPI schema (`error_responses`), so what a client is told to expect is what it gets."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from bot.gateway.rasa_client import RasaUnavailableError
from bot.gateway.security import BASELINE_HEADERS
from bot.gateway.throttle import RateLimitedError

logger = logging.getLogger(__name__)

# The citizen's message is stored before Rasa is asked, so it is kept whatever happens next.
ASSISTANT_UNAVAILABLE = "系统正在恢复，请稍后再试；您的留言已保存。急事请拨打 12345 政务服务便民热线。"
INTERNAL_ERROR = "服务内部出错了，请稍后再试；急事请拨打 12345 政务服务便民热线。"


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """`detail`: one sentence in Chinese, fit to show a citizen or staff member; `errors`:
    each field that failed validation (422 only)."""

    detail: str
    errors: list[FieldError] = Field(default_factory=list)


# What each error status means for a caller of this API (the schema's descriptions).
_ERROR_MEANINGS = {
    401: "未登录，或令牌无效、已过期",
    403: "无权执行：角色或负责领域不符、缺少 CSRF 令牌，或功能未启用",
    404: "要找的对象不存在（或不属于您负责的领域）",
    409: "与对象的当前状态冲突（已被他人处理、已存在）",
    413: "请求体超过 MAX_REQUEST_BYTES",
    422: "请求有误：errors 逐项列出字段和原因",
    429: "请求过于频繁，Retry-After 给出秒数",
    503: "智能助手（Rasa 或动作服务）暂时不可用",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router: these statuses, each with the `ErrorBody` model."""
    return {status: {"model": ErrorBody, "description": _ERROR_MEANINGS[status]} for status in statuses}


_MESSAGES = {
    "json_invalid": "请求体不是合法的 JSON",
    "missing": "缺少必填字段",
    "string_too_short": "内容不能为空",
    "string_too_long": "内容过长",
    "string_type": "应为字符串",
    "string_pattern_mismatch": "格式不正确",
    "model_attributes_type": "请求体应为 JSON 对象",
    "dict_type": "请求体应为 JSON 对象",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "int_parsing_size": "数值过大",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "less_than": "数值过大",
    "bool_parsing": "应为 true 或 false",
    "enum": "不是可选的值",
    "literal_error": "不是可选的值",
    "date_parsing": "应为日期，如 2026-12-01",
    "date_from_datetime_parsing": "应为日期，如 2026-12-01",
    "extra_forbidden": "不支持的字段",
}
# The bound a message names, from pydantic's error context: «数值过大，最大为 …».
_BOUNDS = {"greater_than_equal": ("ge", "最小为"), "less_than_equal": ("le", "最大为")}


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "(请求体)"


def explain_errors(
    errors: Iterable[Mapping[str, Any]], loc_prefix: tuple[int | str, ...] = ()
) -> list[dict[str, str]]:
    """Pydantic's errors as `{"field", "message"}` pairs in Chinese (`loc_prefix` names the
    field when the value was validated on its own, e.g. a WebSocket's query parameter)."""
    explained = []
    for error in errors:
        kind = str(error.get("type"))
        message = _MESSAGES.get(kind, "不符合要求")
        ctx = error.get("ctx") or {}
        if kind == "string_too_long" and "max_length" in ctx:
            message = f"内容过长，最多 {ctx['max_length']} 个字符"
        if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
            key, words = _BOUNDS[kind]
            message = f"{message}，{words} {ctx[key]}"
        explained.append({"field": _field((*loc_prefix, *error.get("loc", ()))), "message": message})
    return explained


def summarise(errors: list[dict[str, str]]) -> str:
    return "请求有误：" + "；".join(f"{e['field']}：{e['message']}" for e in errors)


def describe_validation_error(exc: RequestValidationError) -> JSONResponse:
    errors = explain_errors(exc.errors())
    return JSONResponse(status_code=422, content={"detail": summarise(errors), "errors": errors})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return describe_validation_error(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI answers a body it cannot decode (e.g. not UTF-8) with an English 400 of its
        # own («There was an error parsing the body»); it is a bad JSON body like any other.
        if exc.status_code == 400 and exc.__cause__ is not None:
            invalid = RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": ""}])
            return describe_validation_error(invalid)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RasaUnavailableError)
    async def rasa_unavailable(_request: Request, exc: RasaUnavailableError) -> JSONResponse:
        logger.error("Rasa 不可用：%s", exc)
        return JSONResponse(status_code=503, content={"detail": ASSISTANT_UNAVAILABLE})

    @app.exception_handler(RateLimitedError)
    async def rate_limited(_request: Request, exc: RateLimitedError) -> JSONResponse:
        return JSONResponse(
            status_code=429, content={"detail": exc.detail}, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("未处理的异常", exc_info=exc)
        # Sent by Starlette's outermost middleware, so the header middleware never sees it;
        # and the server drops the connection after an unhandled error, so we say so.
        headers = {**BASELINE_HEADERS, "Connection": "close"}
        return JSONResponse(status_code=500, content={"detail": INTERNAL_ERROR}, headers=headers)
