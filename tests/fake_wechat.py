"""A fake of WeChat on loopback, both directions, for both products.

Its API side is served over real HTTP, the way wechatpy talks to api.weixin.qq.com and
qyapi.weixin.qq.com, and records every call: the Official Account's `/cgi-bin/token` and
`/cgi-bin/message/custom/send`; WeCom 微信客服's `/cgi-bin/gettoken`, `kf/sync_msg` (from
messages a test queues), `kf/send_msg` (only in session states 0 and 1) and
`kf/service_state/get|trans` (each citizen's state and member, moved under WeCom's rules; a
member ending the session and the citizen writing again move it as WeCom does). Its server
side builds callbacks exactly as WeChat signs them (and encrypts them in safe mode) for a
test to post at the gateway, and reads passive replies back (decrypting and checking their
signature).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import xmltodict
from fastapi import FastAPI, Request
from wechatpy.crypto import WeChatCrypto
from wechatpy.enterprise.crypto import PrpCrypto
from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto

from bot.runner import free_port
from tests.loopback import serving

APP_ID = "wx5e1f0c0a7d2b3c4d"
APP_SECRET = "test-app-secret-0123456789abcdef"
TOKEN = "zhengwu-test-token"
AES_KEY = base64.b64encode(hashlib.sha256(b"zhengwu test aes key").digest()).decode().rstrip("=")
ACCOUNT = "gh_sample_district"
CORP_ID = "ww0a1b2c3d4e5f6789"
WECOM_SECRET = "test-wecom-kf-secret-0123456789"
OPEN_KFID = "wkSampleDistrictKf0001"
WECOM_PAGE = 50  # messages per sync_msg page, small so that tests see several pages
# The session-state moves WeCom allows through the API, as its 分配客服会话 table words them:
# 0 未处理 → 1 智能助手接待, 2 待接入池 or 3 人工接待; 1 → 2 or 3; 2 → 3; 3 → another member
# or ended (4 已结束, from which the API moves nothing).
TRANSITIONS = {0: (1, 2, 3), 1: (2, 3), 2: (3,), 3: (3, 4), 4: ()}

_ids = itertools.count(int(time.time()) * 1000)


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


@dataclass(frozen=True)
class SignedCallback:
    params: dict[str, str]
    body: bytes


class FakeWechat:
    def __init__(self, token_lifetime: int = 7200, aes_key: str = "") -> None:
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self.token_lifetime = token_lifetime
        self.aes_key = aes_key
        self.refuse_with: int | None = None  # an errcode custom/send answers with, when set
        self.tokens: list[str] = []
        self.delivered: list[tuple[str, str]] = []  # (openid, text) accepted by custom/send
        self._lock = threading.Lock()
        self.port = free_port()
        self.app = FastAPI()
        self.app.get("/cgi-bin/token")(self._token)
        self.app.post("/cgi-bin/message/custom/send")(self._custom_send)
        self.wecom_tokens: list[str] = []
        self.wecom_inbox: list[dict[str, Any]] = []  # what sync_msg hands out, in order
        self.wecom_delivered: list[tuple[str, str]] = []  # (external_userid, text) sent
        self.wecom_states: dict[str, int] = {}  # external_userid → service_state
        self.wecom_servicers: dict[str, str] = {}  # external_userid → servicer_userid (state 3)
        self.wecom_unavailable: set[str] = set()  # users whose state WeCom fails to tell
        self.wecom_off_duty: set[str] = set()  # members not 正在接待: trans to 3 refused
        self.app.get("/cgi-bin/gettoken")(self._wecom_token)
        self.app.post("/cgi-bin/kf/{method:path}")(self._kf)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- the API ------------------------------------------------------------------------
    async def _token(self, request: Request) -> dict[str, Any]:
        params = dict(request.query_params)
        with self._lock:
            self.calls.append(("token", params, {}))
            if params.get("appid") != APP_ID or params.get("secret") != APP_SECRET:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            token = f"ACCESS-{len(self.tokens) + 1}-{APP_ID}"
            self.tokens.append(token)
        return {"access_token": token, "expires_in": self.token_lifetime}

    async def _custom_send(self, request: Request) -> dict[str, Any]:
        params = dict(request.query_params)
        body: dict[str, Any] = await request.json()
        with self._lock:
            self.calls.append(("custom_send", params, body))
            if not self.tokens or params.get("access_token") != self.tokens[-1]:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            if self.refuse_with is not None:
                return {"errcode": self.refuse_with, "errmsg": "response out of time limit"}
            self.delivered.append((str(body["touser"]), str(body["text"]["content"])))
        return {"errcode": 0, "errmsg": "ok"}

    # --- WeCom 微信客服 -------------------------------------------------------------------
    async def _wecom_token(self, request: Request) -> dict[str, Any]:
        params = dict(request.query_params)
        with self._lock:
            self.calls.append(("gettoken", params, {}))
            if params.get("corpid") != CORP_ID or params.get("corpsecret") != WECOM_SECRET:
                return {"errcode": 40001, "errmsg": "invalid credential"}
            token = f"WECOM-{len(self.wecom_tokens) + 1}"
            self.wecom_tokens.append(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_lifetime}

    async def _kf(self, method: str, request: Request) -> dict[str, Any]:
        params = dict(request.query_params)
        body: dict[str, Any] = await request.json()
        with self._lock:
            self.calls.append((f"kf/{method}", params, body))
            if not self.wecom_tokens or params.get("access_token") != self.wecom_tokens[-1]:
                return {"errcode": 40014, "errmsg": "invalid access_token"}
            if body.get("open_kfid") != OPEN_KFID:
                return {"errcode": 95000, "errmsg": "invalid open_kfid"}
            if method == "sync_msg":
                start = int(body.get("cursor") or 0)
                page = self.wecom_inbox[start : start + WECOM_PAGE]
                more = start + WECOM_PAGE < len(self.wecom_inbox)
                cursor = str(start + len(page))
                return {
                    "errcode": 0,
                    "errmsg": "ok",
                    "next_cursor": cursor,
                    "has_more": int(more),
                    "msg_list": page,
                }
            user = str(body.get("external_userid") or body.get("touser"))
            if method == "service_state/get" and user in self.wecom_unavailable:
                return {"errcode": -1, "errmsg": "system busy"}
            if method == "service_state/get":
                state = self.wecom_states.get(user, 0)
                servicer = self.wecom_servicers.get(user, "") if state == 3 else ""
                return {"errcode": 0, "errmsg": "ok", "service_state": state, "servicer_userid": servicer}
            if method == "service_state/trans":
                return self._trans(user, int(body["service_state"]), str(body.get("servicer_userid") or ""))
            if method == "send_msg":
                if self.wecom_states.get(user, 0) not in (0, 1):
                    return {"errcode": 95018, "errmsg": "send msg session status invalid"}
                self.wecom_delivered.append((user, str(body["text"]["content"])))
                return {"errcode": 0, "errmsg": "ok", "msgid": f"sent-{len(self.wecom_delivered)}"}
        return {"errcode": 404, "errmsg": f"no such method kf/{method}"}

    def _trans(self, user: str, state: int, servicer: str) -> dict[str, Any]:
        """`kf/service_state/trans` under the rules of WeCom's documentation (分配客服会话):
        only the moves in TRANSITIONS; 3 needs a member who is 正在接待. The errcodes of the
        two refusals are guesses (the documentation we read names neither)."""
        if state not in TRANSITIONS.get(self.wecom_states.get(user, 0), ()):
            return {"errcode": 95016, "errmsg": "invalid service state transition (fake)"}
        if state == 3 and (not servicer or servicer in self.wecom_off_duty):
            return {"errcode": 95013, "errmsg": "servicer not on duty (fake)"}
        self.wecom_states[user] = state
        self.wecom_servicers[user] = servicer if state == 3 else ""
        return {"errcode": 0, "errmsg": "ok"}

    def wecom_sent(self, userid: str) -> list[str]:
        with self._lock:
            return [text for to, text in self.wecom_delivered if to == userid]

    def wecom_wait_for(self, count: int, userid: str, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.wecom_sent(userid)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"微信客服只发出 {len(self.wecom_sent(userid))} 条，期望 {count} 条")

    def wecom_receive(self, userid: str, text: str) -> None:
        """A WeChat user writes to the customer-service account (read later by sync_msg)."""
        message = {
            "msgid": f"from-{next(_ids)}",
            "open_kfid": OPEN_KFID,
            "external_userid": userid,
            "send_time": int(time.time()),
            "origin": 3,
            "msgtype": "text",
            "text": {"content": text},
        }
        with self._lock:
            self.wecom_inbox.append(message)
            if self.wecom_states.get(userid) == 4:  # 已结束: a new message opens a new session
                self.wecom_states[userid] = 0

    def wecom_end_session(self, userid: str) -> None:
        """The member ends the session in the WeCom app (已结束)."""
        with self._lock:
            self.wecom_states[userid] = 4
            self.wecom_servicers[userid] = ""

    def wecom_callback(self, token: str = TOKEN) -> SignedCallback:
        """The callback WeCom posts when there is something new: encrypted, with a token."""
        stamp, nonce = str(int(time.time())), str(next(_ids))
        xml = (
            f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><CreateTime>{stamp}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
            f"<Token><![CDATA[SYNC-{nonce}]]></Token><OpenKfId><![CDATA[{OPEN_KFID}]]></OpenKfId></xml>"
        )
        sealed = xmltodict.parse(WeComCrypto(token, AES_KEY, CORP_ID).encrypt_message(xml, nonce, stamp))[
            "xml"
        ]
        body = envelope(CORP_ID, sealed["Encrypt"])
        return SignedCallback(
            {"msg_signature": sealed["MsgSignature"], "timestamp": stamp, "nonce": nonce}, body.encode()
        )

    def wecom_verification(self, echostr: str, token: str = TOKEN) -> dict[str, str]:
        stamp, nonce = str(int(time.time())), str(next(_ids))
        sealed = PrpCrypto(WeComCrypto(token, AES_KEY, CORP_ID).key).encrypt(echostr, CORP_ID).decode()
        return {
            "msg_signature": sign(token, stamp, nonce, sealed),
            "timestamp": stamp,
            "nonce": nonce,
            "echostr": sealed,
        }

    def sent(self, openid: str | None = None) -> list[str]:
        """Texts accepted by custom/send (to one citizen, or to anyone), in order."""
        with self._lock:
            return [text for to, text in self.delivered if openid is None or to == openid]

    def token_fetches(self) -> int:
        with self._lock:
            return sum(1 for name, _, _ in self.calls if name == "token")

    def wait_for(self, count: int, openid: str | None = None, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(openid)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        found = self.sent(openid)
        raise AssertionError(f"客服消息只收到 {len(found)} 条，期望 {count} 条：{found}")

    # --- callbacks as WeChat sends them ---------------------------------------------------
    def _crypto(self) -> WeChatCrypto:
        return WeChatCrypto(TOKEN, self.aes_key, APP_ID)

    def signed(self, xml: str, token: str = TOKEN, timestamp: int | None = None) -> SignedCallback:
        stamp, nonce = str(timestamp or int(time.time())), str(next(_ids))
        params = {"signature": sign(token, stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": "x"}
        if not self.aes_key:
            return SignedCallback(params, xml.encode())
        sealed = xmltodict.parse(self._crypto().encrypt_message(xml, nonce, stamp))["xml"]
        body = envelope(ACCOUNT, sealed["Encrypt"])
        params |= {"encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}
        return SignedCallback(params, body.encode())

    def verification(self, echostr: str, token: str = TOKEN) -> dict[str, str]:
        stamp, nonce = str(int(time.time())), str(next(_ids))
        signature = sign(token, stamp, nonce)
        return {"signature": signature, "timestamp": stamp, "nonce": nonce, "echostr": echostr}

    def text(self, openid: str, content: str, msg_id: int | None = None) -> SignedCallback:
        return self.signed(message_xml(openid, "text", msg_id, f"<Content><![CDATA[{content}]]></Content>"))

    def event(self, openid: str, event: str, key: str = "", created: int | None = None) -> SignedCallback:
        fields = f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey>"
        return self.signed(message_xml(openid, "event", None, fields, created))

    def image(self, openid: str) -> SignedCallback:
        fields = "<PicUrl><![CDATA[http://127.0.0.1/p.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId>"
        return self.signed(message_xml(openid, "image", None, fields))

    def read_reply(self, response: httpx.Response) -> str | None:
        """The text of a passive reply (None for `success`), decrypted and verified."""
        if response.text == "success":
            return None
        xml = response.text
        if self.aes_key:
            outer = xmltodict.parse(xml)["xml"]
            assert outer["MsgSignature"] == sign(TOKEN, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"])
            xml = self._crypto().decrypt_message(
                xml, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"]
            )
        reply = xmltodict.parse(xml)["xml"]
        assert reply["MsgType"] == "text" and reply["FromUserName"] == ACCOUNT
        return str(reply["Content"])


def envelope(to: str, encrypted: str) -> str:
    """The body of an encrypted callback as WeChat posts it."""
    return f"<xml><ToUserName><![CDATA[{to}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"


def message_xml(openid: str, kind: str, msg_id: int | None, fields: str, created: int | None = None) -> str:
    msg_id_field = "" if kind == "event" else f"<MsgId>{msg_id or next(_ids)}</MsgId>"
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{created or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[{kind}]]></MsgType>{fields}{msg_id_field}</xml>"
    )


@contextmanager
def running_fake_wechat(token_lifetime: int = 7200, aes_key: str = "") -> Iterator[FakeWechat]:
    fake = FakeWechat(token_lifetime, aes_key)
    with serving(fake.app, fake.port):
        yield fake
