"""Error responses in plain Chinese: what was wrong and where, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from bot.gateway.rasa_client import RasaUnavailableError

logger = logging.getLogger(__name__)

ASSISTANT_UNAVAILABLE = "智能助手暂时无法回答，请稍后再试；急事请拨打 12345 政务服务便民热线。"
INTERNAL_ERROR = "服务内部出错了，请稍后再试；急事请拨打 12345 政务服务便民热线。"

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
    "greater_than_equal": "数值过小",
    "extra_forbidden": "不支持的字段",
}


def _field(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "(请求体)"


def describe_validation_error(exc: RequestValidationError) -> JSONResponse:
    errors = []
    for error in exc.errors():
        field = _field(tuple(error.get("loc", ())))
        message = _MESSAGES.get(str(error.get("type")), "不符合要求")
        ctx = error.get("ctx") or {}
        if error.get("type") == "string_too_long" and "max_length" in ctx:
            message = f"内容过长，最多 {ctx['max_length']} 个字符"
        errors.append({"field": field, "message": message})
    summary = "；".join(f"{e['field']}：{e['message']}" for e in errors)
    return JSONResponse(status_code=422, content={"detail": f"请求有误：{summary}", "errors": errors})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return describe_validation_error(exc)

    @app.exception_handler(RasaUnavailableError)
    async def rasa_unavailable(_request: Request, exc: RasaUnavailableError) -> JSONResponse:
        logger.error("Rasa 不可用：%s", exc)
        return JSONResponse(status_code=503, content={"detail": ASSISTANT_UNAVAILABLE})

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("未处理的异常", exc_info=exc)
        return JSONResponse(status_code=500, content={"detail": INTERNAL_ERROR})
