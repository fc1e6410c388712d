"""`/wechat/callback` (Official Account) and `/wecom/callback` (WeCom 微信客服): the URL
check (GET) and every message or event (POST). Anything not signed by WeChat for this
account is refused with 403 before it is parsed or stored."""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse

from connectors.wechat.connector import SUCCESS, OfficialAccountConnector
from connectors.wechat.protocol import CallbackRefusedError
from connectors.wechat.wecom import WeComConnector

router = APIRouter(include_in_schema=False)


def _connector(request: Request) -> OfficialAccountConnector:
    connector = cast(OfficialAccountConnector | None, getattr(request.app.state, "wechat", None))
    if connector is None:
        raise HTTPException(status_code=404, detail="未启用微信公众号渠道")
    return connector


@router.get("/wechat/callback")
async def verify_url(request: Request) -> Response:
    connector = _connector(request)
    try:
        echostr = connector.protocol.verify_url(request.query_params)
    except CallbackRefusedError as exc:
        raise HTTPException(status_code=403, detail=f"微信签名校验失败：{exc}") from exc
    return PlainTextResponse(echostr)


@router.post("/wechat/callback")
async def callback(request: Request) -> Response:
    connector = _connector(request)
    body = await request.body()
    try:
        reply = await connector.on_callback(request.query_params, body)
    except CallbackRefusedError as exc:
        raise HTTPException(status_code=403, detail=f"微信签名校验失败：{exc}") from exc
    if reply == SUCCESS:
        return PlainTextResponse(SUCCESS)
    return Response(reply, media_type="application/xml")


def _wecom(request: Request) -> WeComConnector:
    connector = cast(WeComConnector | None, getattr(request.app.state, "wecom", None))
    if connector is None:
        raise HTTPException(status_code=404, detail="未启用企业微信「微信客服」渠道")
    return connector


@router.get("/wecom/callback")
async def wecom_verify_url(request: Request) -> Response:
    try:
        echostr = _wecom(request).protocol.verify_url(request.query_params)
    except CallbackRefusedError as exc:
        raise HTTPException(status_code=403, detail=f"企业微信签名校验失败：{exc}") from exc
    return PlainTextResponse(echostr)


@router.post("/wecom/callback")
async def wecom_callback(request: Request) -> Response:
    connector = _wecom(request)
    try:
        reply = await connector.on_callback(request.query_params, await request.body())
    except CallbackRefusedError as exc:
        raise HTTPException(status_code=403, detail=f"企业微信签名校验失败：{exc}") from exc
    return PlainTextResponse(reply)
