"""One typed settings object, read from environment variables and an optional `.env`.

Every knob lives here so that nothing reads `os.environ` ad hoc; unset means the embedded
default (SQLite, on-disk index, no Telegram). Secrets (tokens) only ever come from here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.contracts.areas import AREA_LABELS, Area

REPO_ROOT = Path(__file__).resolve().parent.parent

# Every rate limit and the login lock off: for the tools and tests that drive the gateway with
# many turns from one address (`make bench`, `make eval`, the test suite), never for a service.
UNTHROTTLED = {
    "RATE_CHAT_PER_SENDER": "",
    "RATE_CHAT_PER_ADDRESS": "",
    "RATE_READ_PER_SENDER": "",
    "RATE_READ_PER_ADDRESS": "",
    "RATE_LOGIN_PER_ACCOUNT": "",
    "RATE_LOGIN_PER_ADDRESS": "",
    "LOGIN_LOCK_AFTER": "0",
}
WECOM_HANDOFF_MODES = ("console", "wecom")
WECOM_USERID_BYTES = 64  # WeCom's limit on a member's userid


def parse_servicers(text: str) -> dict[str, str]:
    """`WECOM_SERVICERS` («housing:zhangsan,other:lisi») as area → WeCom userid.

    Raises ValueError in Chinese, so that a typo stops the gateway at start-up instead of
    sending citizens of that area to WeCom's queue without anyone noticing."""
    servicers: dict[str, str] = {}
    known = {area.value for area in Area}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        area, colon, userid = (piece.strip() for piece in entry.partition(":"))
        if not colon or not area or not userid:
            raise ValueError(f"WECOM_SERVICERS 的「{entry}」格式不对，应为「领域:成员账号」，多项用逗号分隔")
        if area not in known:
            listed = "、".join(f"{a.value}（{AREA_LABELS[a]}）" for a in Area)
            raise ValueError(f"WECOM_SERVICERS 里没有「{area}」这个领域；可用的领域：{listed}")
        if area in servicers:
            raise ValueError(f"WECOM_SERVICERS 里领域「{area}」出现了两次")
        if any(c.isspace() for c in userid) or len(userid.encode()) > WECOM_USERID_BYTES:
            raise ValueError(f"WECOM_SERVICERS 里「{userid}」不像企业微信成员账号（不含空格，至多 64 字节）")
        servicers[area] = userid
    return servicers


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    host: str = Field(default="127.0.0.1", alias="GATEWAY_HOST")
    port: int = Field(default=8000, alias="GATEWAY_PORT")
    rasa_port: int = Field(default=5005, alias="RASA_PORT")
    actions_port: int = Field(default=5055, alias="ACTIONS_PORT")
    rasa_timeout_seconds: float = Field(default=30.0, alias="RASA_TIMEOUT_SECONDS")
    # Several Rasa servers, comma-separated (http://host:port,…), sharing the tracker store (the
    # app DB) and the lock store (Redis); empty: the one the runner starts on RASA_PORT.
    rasa_urls: str = Field(default="", alias="RASA_URLS")
    # Where Rasa keeps conversations: "sql" (the app database, so a restarted Rasa goes on
    # where it was) or "memory" (lost with the process; only for measuring the difference).
    rasa_tracker_store: Literal["sql", "memory"] = Field(default="sql", alias="RASA_TRACKER_STORE")
    # The runner restarts a child that dies, waiting 1, 2, 4 … (at most 30) seconds; this many
    # crashes of one child within the window stop the whole stack instead.
    restart_max_crashes: int = Field(default=5, ge=1, alias="RESTART_MAX_CRASHES")
    restart_window_seconds: float = Field(default=300.0, gt=0, alias="RESTART_WINDOW_SECONDS")

    var_dir: Path = Field(default=REPO_ROOT / "var", alias="VAR_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")
    index_path: Path | None = Field(default=None, alias="INDEX_PATH")
    knowledge_dir: Path = Field(default=REPO_ROOT / "knowledge" / "data", alias="KNOWLEDGE_DIR")
    nlu_data_dir: Path = Field(default=REPO_ROOT / "nlu_data", alias="NLU_DATA_DIR")
    area_messages_dir: Path = Field(default=REPO_ROOT / "knowledge" / "areas", alias="AREA_MESSAGES_DIR")
    area_training_files: list[Path] = Field(default_factory=list, alias="AREA_TRAINING_FILES")
    models_dir: Path = Field(default=REPO_ROOT / "models", alias="MODELS_DIR")
    rasa_venv: Path = Field(default=REPO_ROOT / ".venv-rasa", alias="RASA_VENV")
    # Imported item names go into Rasa's dictionary and lookup table at the next training (so
    # an import makes `make run` retrain); false keeps training on the authored names alone
    # (imported items are still matched at run time from the index).
    train_on_imported_names: bool = Field(default=True, alias="TRAIN_ON_IMPORTED_NAMES")

    dense_search: bool = Field(default=True, alias="DENSE_SEARCH")
    embedding_cache: Path | None = Field(default=None, alias="EMBEDDING_CACHE")
    elasticsearch_url: str = Field(default="", alias="ELASTICSEARCH_URL")
    elasticsearch_index: str = Field(default="zhengwu-knowledge", alias="ELASTICSEARCH_INDEX")
    redis_url: str = Field(default="", alias="REDIS_URL")
    # Every key and pub/sub channel this deployment uses starts with this (tests use their own).
    redis_prefix: str = Field(default="zhengwu:", alias="REDIS_PREFIX")
    telegram_token: str = Field(default="", alias="TELEGRAM_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org/bot", alias="TELEGRAM_API_URL")
    # Set: webhook mode (Telegram posts to this URL, which must reach /telegram/webhook);
    # unset: the gateway polls Telegram, for local development without a public URL.
    telegram_webhook_url: str = Field(default="", alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str = Field(default="", alias="TELEGRAM_WEBHOOK_SECRET")
    # WeChat Official Account (公众号): on when token, AppID and AppSecret are all set. The
    # EncodingAESKey turns on safe mode (安全模式); the API URL is WeChat's, or a fake in tests.
    wechat_token: str = Field(default="", alias="WECHAT_TOKEN")
    wechat_app_id: str = Field(default="", alias="WECHAT_APP_ID")
    wechat_app_secret: str = Field(default="", alias="WECHAT_APP_SECRET")
    wechat_aes_key: str = Field(default="", alias="WECHAT_AES_KEY")
    wechat_api_url: str = Field(default="https://api.weixin.qq.com", alias="WECHAT_API_URL")
    # WeChat gives up on a callback after 5 s: a turn not done by then is answered with
    # `success` and sent through the customer-service API instead.
    wechat_passive_seconds: float = Field(default=4.0, ge=0, le=4.5, alias="WECHAT_PASSIVE_SECONDS")
    # Customer-service messages may be sent this long after the citizen's last message.
    wechat_push_window_hours: float = Field(default=48.0, gt=0, alias="WECHAT_PUSH_WINDOW_HOURS")
    # WeCom 微信客服 (customer service for ordinary WeChat users, run from a WeCom corp): on
    # when the corp ID, the 微信客服 secret, and the callback's token and EncodingAESKey are set.
    wecom_corp_id: str = Field(default="", alias="WECOM_CORP_ID")
    wecom_secret: str = Field(default="", alias="WECOM_SECRET")
    wecom_token: str = Field(default="", alias="WECOM_TOKEN")
    wecom_aes_key: str = Field(default="", alias="WECOM_AES_KEY")
    wecom_api_url: str = Field(default="https://qyapi.weixin.qq.com", alias="WECOM_API_URL")
    # Who answers a 微信客服 citizen handed to a person: "console" (our staff, through the API;
    # WeCom's state stays 智能助手接待) or "wecom" (WeCom's own members in the WeCom app: the
    # member mapped to the ticket's area in WECOM_SERVICERS, else WeCom's 待接入池).
    wecom_handoff: Literal["console", "wecom"] = Field(default="console", alias="WECOM_HANDOFF")
    wecom_servicers: str = Field(default="", alias="WECOM_SERVICERS")
    # Sites allowed to embed the chat widget (CORS for the citizen chat API).
    widget_origins: list[str] = Field(default_factory=lambda: ["*"], alias="WIDGET_ORIGINS")
    # Larger request bodies are refused with 413 (a chat message is at most 1000 characters,
    # the largest knowledge item a few kilobytes).
    max_request_bytes: int = Field(default=65536, ge=1, alias="MAX_REQUEST_BYTES")
    # Rate limits ("N/second|minute|hour|day"; empty: off), per citizen (sender id) and per
    # client address; one address may be a whole office or a mobile carrier's NAT. Reads of the
    # history have their own budget (the widget polls every 3 s).
    rate_chat_per_sender: str = Field(default="20/minute", alias="RATE_CHAT_PER_SENDER")
    rate_chat_per_address: str = Field(default="120/minute", alias="RATE_CHAT_PER_ADDRESS")
    rate_read_per_sender: str = Field(default="60/minute", alias="RATE_READ_PER_SENDER")
    rate_read_per_address: str = Field(default="600/minute", alias="RATE_READ_PER_ADDRESS")
    # Staff logins: attempts per account and per address; after each failure a growing wait,
    # and after this many in a row a lock for this long (0: failures neither wait nor lock).
    # 等保 asks for a lock after at most 5 failures.
    rate_login_per_account: str = Field(default="10/minute", alias="RATE_LOGIN_PER_ACCOUNT")
    rate_login_per_address: str = Field(default="30/minute", alias="RATE_LOGIN_PER_ADDRESS")
    login_lock_after: int = Field(default=5, ge=0, alias="LOGIN_LOCK_AFTER")
    login_lock_minutes: int = Field(default=15, ge=1, le=1440, alias="LOGIN_LOCK_MINUTES")
    # Signs the conversation tokens that let a citizen read their own history (HMAC key; every
    # replica needs the same one). Unset: a random key kept in var/conversation-token.key.
    conversation_token_secret: str = Field(default="", alias="CONVERSATION_TOKEN_SECRET")
    # API keys of server-to-server integrators, who read any conversation with `X-API-Key`
    # instead of a conversation token (JSON list).
    chat_api_keys: list[str] = Field(default_factory=list, alias="CHAT_API_KEYS")
    admin_token: str = Field(default="", alias="ADMIN_TOKEN")
    parse_endpoint: bool = Field(default=True, alias="PARSE_ENDPOINT")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")

    # When staff answer: weekly hours, public holidays and 调休 working days (ISO dates).
    timezone: str = Field(default="Asia/Shanghai", alias="TIMEZONE")
    office_hours: str = Field(default="mon-fri 09:00-12:00,13:30-17:30", alias="OFFICE_HOURS")
    holidays: list[str] = Field(default_factory=list, alias="HOLIDAYS")
    makeup_workdays: list[str] = Field(default_factory=list, alias="MAKEUP_WORKDAYS")
    # A 不满意 / 非常不满意 rating opens a follow-up task due this many working days later.
    follow_up_working_days: int = Field(default=5, ge=1, le=60, alias="FOLLOW_UP_WORKING_DAYS")
    # Reports: a ticket counts as resolved in time when resolved within this many working days.
    resolution_working_days: int = Field(default=3, ge=1, le=60, alias="RESOLUTION_WORKING_DAYS")
    # A staff login (console cookie or API token) ends this long after signing in, or after
    # this many minutes without a request, whichever comes first.
    staff_session_hours: int = Field(default=12, ge=1, alias="STAFF_SESSION_HOURS")
    staff_session_idle_minutes: int = Field(default=30, ge=1, alias="STAFF_SESSION_IDLE_MINUTES")
    # Set true behind HTTPS so the console cookie is never sent in clear.
    cookie_secure: bool = Field(default=False, alias="COOKIE_SECURE")

    @field_validator(
        "rate_chat_per_sender",
        "rate_chat_per_address",
        "rate_read_per_sender",
        "rate_read_per_address",
        "rate_login_per_account",
        "rate_login_per_address",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        """A typo in a limit fails at start-up, not at the first request."""
        if value.strip():
            parse(value)
        return value

    @field_validator("wecom_handoff", mode="before")
    @classmethod
    def _wecom_handoff(cls, value: object) -> object:
        """Said in Chinese, with what each mode means (pydantic's own message is English)."""
        if value not in WECOM_HANDOFF_MODES:
            raise ValueError(
                "WECOM_HANDOFF 只能是 console（工作台经接口回复）或 wecom（转企业微信接待人员），"
                f"不是「{value}」"
            )
        return value

    @field_validator("wecom_servicers")
    @classmethod
    def _wecom_servicers(cls, value: str) -> str:
        parse_servicers(value)
        return value

    @property
    def wecom_servicer_map(self) -> dict[str, str]:
        """Area → the WeCom member (userid) who takes that area's handoffs in `wecom` mode."""
        return parse_servicers(self.wecom_servicers)

    def as_environment(self) -> dict[str, str]:
        """These settings as environment variables, for child processes to read back."""
        values = self.model_dump(by_alias=True, mode="json")
        return {
            name: json.dumps(value) if isinstance(value, list) else str(value)
            for name, value in values.items()
            if value is not None
        }

    @property
    def effective_database_url(self) -> str:
        """`DATABASE_URL`, or a SQLite file under `var/` when it is unset."""
        return self.database_url or f"sqlite:///{self.var_dir / 'app.db'}"

    @property
    def effective_index_path(self) -> Path:
        return self.index_path or self.var_dir / "index" / "knowledge"

    @property
    def jieba_dict_dir(self) -> Path:
        """Rasa's JiebaTokenizer loads every file in this folder (config.yml names it)."""
        return self.nlu_data_dir / "jieba"

    @property
    def generated_nlu_dir(self) -> Path:
        """Lookup tables and synonyms generated from the knowledge base (never hand-edited)."""
        return self.nlu_data_dir / "generated"

    @property
    def added_nlu_dir(self) -> Path:
        """Rasa inputs generated from items the app DB holds beyond the authored files (a
        lookup table, jieba words, the config that points the tokenizer at them): this
        deployment's, not the repository's, so kept under var/ (see bot/training.py)."""
        return self.var_dir / "nlu"

    @property
    def effective_embedding_cache(self) -> Path:
        return self.embedding_cache or self.var_dir / "cache" / "embeddings.sqlite3"

    @property
    def effective_telegram_secret(self) -> str:
        """The webhook's secret_token: as set, else derived from the bot token (stable across
        replicas and restarts, never stored in the repository)."""
        if self.telegram_webhook_secret:
            return self.telegram_webhook_secret
        return hashlib.sha256(f"webhook:{self.telegram_token}".encode()).hexdigest()[:48]

    @property
    def wechat_enabled(self) -> bool:
        return bool(self.wechat_token and self.wechat_app_id and self.wechat_app_secret)

    @property
    def wecom_enabled(self) -> bool:
        return bool(self.wecom_corp_id and self.wecom_secret and self.wecom_token and self.wecom_aes_key)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rasa_server_urls(self) -> list[str]:
        """The Rasa servers the gateway spreads conversations over (`RASA_URLS`, else one)."""
        listed = [url.strip().rstrip("/") for url in self.rasa_urls.split(",") if url.strip()]
        return listed or [self.rasa_url]

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.port}"


def load_settings() -> Settings:
    """Read the environment now (never at import time)."""
    return Settings()
