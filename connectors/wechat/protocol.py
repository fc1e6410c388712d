"""The callback protocol of a WeChat Official Account, with wechatpy doing the cryptography.

Every callback carries `signature` = sha1 of the sorted token, timestamp and nonce. That
signature does not cover the body: only safe mode (安全模式, EncodingAESKey) does, with
`msg_signature` over the encrypted body. So with an AES key set, unencrypted bodies are
refused; and timestamps far from now are refused so a captured request cannot be replayed
for long.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

MAX_CLOCK_SKEW_SECONDS = 300


class CallbackRefusedError(Exception):
    """Not from WeChat (or not for this account): answer 403 and store nothing."""


def require_fresh(signature: str, timestamp: str, nonce: str) -> None:
    """All three signature parameters present and the timestamp within five minutes."""
    if not (signature and timestamp and nonce):
        raise CallbackRefusedError("缺少签名参数")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        raise CallbackRefusedError("时间戳无效或已过期")


@dataclass(frozen=True)
class Callback:
    """One verified callback: the parsed wechatpy message and how to seal the reply."""

    message: Any  # a wechatpy message or event (untyped library)
    encrypted: bool
    nonce: str


class CallbackProtocol:
    def __init__(self, token: str, app_id: str, aes_key: str = "") -> None:
        self._token = token
        self._crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None

    @property
    def safe_mode(self) -> bool:
        return self._crypto is not None

    def _check(self, params: Mapping[str, str]) -> None:
        signature, timestamp, nonce = (params.get(k, "") for k in ("signature", "timestamp", "nonce"))
        require_fresh(signature, timestamp, nonce)
        try:
            check_signature(self._token, signature, timestamp, nonce)
        except InvalidSignatureException as exc:
            raise CallbackRefusedError("签名不正确") from exc

    def verify_url(self, params: Mapping[str, str]) -> str:
        """The URL check when the server address is saved on mp.weixin.qq.com: the same
        signature in every mode, answered with `echostr` as sent."""
        self._check(params)
        echostr = params.get("echostr", "")
        if not echostr:
            raise CallbackRefusedError("缺少 echostr")
        return echostr

    def open(self, params: Mapping[str, str], body: bytes) -> Callback:
        self._check(params)
        encrypted = params.get("encrypt_type", "raw") == "aes"
        if self._crypto is None:
            if encrypted:
                raise CallbackRefusedError("收到加密消息，但未设置 WECHAT_AES_KEY")
            xml = body.decode("utf-8", errors="strict")
        else:
            if not encrypted:
                raise CallbackRefusedError("已启用安全模式，拒绝未加密的消息")
            try:
                xml = self._crypto.decrypt_message(
                    body, params.get("msg_signature", ""), params["timestamp"], params["nonce"]
                )
            except (InvalidSignatureException, InvalidAppIdException) as exc:
                raise CallbackRefusedError("消息签名或 AppID 不正确") from exc
            except Exception as exc:  # not base64, bad padding, no <Encrypt>, not XML
                raise CallbackRefusedError("无法解密消息") from exc
        try:
            message = parse_message(xml)
        except Exception as exc:
            raise CallbackRefusedError("消息不是合法的 XML") from exc
        if message is None or not message.source:
            raise CallbackRefusedError("消息缺少发送者")
        return Callback(message, encrypted, params["nonce"])

    def reply(self, callback: Callback, text: str) -> str:
        """The passive reply to a callback: text XML, encrypted when the callback was."""
        xml: str = create_reply(text, callback.message, render=True)
        if callback.encrypted and self._crypto is not None:
            sealed: str = self._crypto.encrypt_message(xml, callback.nonce, str(int(time.time())))
            return sealed
        return xml


class WeComProtocol:
    """WeCom 微信客服's callbacks: always encrypted; the URL check decrypts `echostr`. A
    callback only says «there is something new» (with a token for `kf/sync_msg`)."""

    def __init__(self, token: str, corp_id: str, aes_key: str) -> None:
        self._crypto = WeComCrypto(token, aes_key, corp_id)

    @staticmethod
    def _params(params: Mapping[str, str]) -> tuple[str, str, str]:
        signature, timestamp, nonce = (params.get(k, "") for k in ("msg_signature", "timestamp", "nonce"))
        require_fresh(signature, timestamp, nonce)
        return signature, timestamp, nonce

    def verify_url(self, params: Mapping[str, str]) -> str:
        signature, timestamp, nonce = self._params(params)
        try:
            plain: str = self._crypto.check_signature(signature, timestamp, nonce, params.get("echostr", ""))
        except Exception as exc:
            raise CallbackRefusedError("签名不正确或 echostr 无法解密") from exc
        return plain

    def open(self, params: Mapping[str, str], body: bytes) -> dict[str, str]:
        """The decrypted callback's fields (Event, Token, OpenKfId, …)."""
        signature, timestamp, nonce = self._params(params)
        try:
            xml = self._crypto.decrypt_message(body, signature, timestamp, nonce)
            fields = xmltodict.parse(xml)["xml"]
        except Exception as exc:  # bad signature, another corp, not base64, not XML
            raise CallbackRefusedError("消息签名或企业 ID 不正确，或无法解密") from exc
        return {str(k): str(v) for k, v in dict(fields).items() if v is not None}
