"""Building the WeChat connectors from the settings (the gateway's lifespan)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from wechatpy.session import SessionStorage

from bot.gateway.conversation import ConversationRouter
from bot.gateway.handoff import HandoffService
from bot.persistence.store import ConversationStore
from bot.persistence.wechat import WechatStore
from bot.settings import Settings
from connectors.wechat.client import DatabaseStorage, OfficialAccountClient, WeComClient
from connectors.wechat.connector import CHANNEL, OfficialAccountConnector
from connectors.wechat.protocol import CallbackProtocol, WeComProtocol
from connectors.wechat.wecom import CHANNEL as WECOM
from connectors.wechat.wecom import WeComConnector

logger = logging.getLogger(__name__)


def token_storage(settings: Settings, wechat: WechatStore) -> SessionStorage:
    """Redis when the deployment has one (every replica reads it anyway), else the app DB."""
    if settings.redis_url:
        import redis
        from wechatpy.session.redisstorage import RedisStorage

        client = redis.Redis.from_url(settings.redis_url)  # connects lazily, on first use
        return RedisStorage(client, prefix=f"{settings.redis_prefix}wechat")
    return DatabaseStorage(wechat)


def start_wechat(
    settings: Settings,
    engine: Engine,
    router: ConversationRouter,
    store: ConversationStore,
    handoff: HandoffService,
) -> OfficialAccountConnector | None:
    """The Official Account when token, AppID and AppSecret are set; said once either way."""
    if not settings.wechat_enabled:
        logger.info("未设置 WECHAT_TOKEN、WECHAT_APP_ID、WECHAT_APP_SECRET，本次不启用微信公众号渠道")
        return None
    wechat = WechatStore(engine)
    client = OfficialAccountClient(
        settings.wechat_app_id,
        settings.wechat_app_secret,
        settings.wechat_api_url,
        token_storage(settings, wechat),
    )
    protocol = CallbackProtocol(settings.wechat_token, settings.wechat_app_id, settings.wechat_aes_key)
    connector = OfficialAccountConnector(
        router,
        store,
        wechat,
        protocol,
        client,
        settings.wechat_passive_seconds,
        settings.wechat_push_window_hours,
    )
    handoff.register_pusher(CHANNEL, connector.push)
    mode = "安全模式" if protocol.safe_mode else "明文模式"
    logger.info("微信公众号渠道已启用（%s，回调地址 /wechat/callback）", mode)
    return connector


def start_wecom(
    settings: Settings,
    engine: Engine,
    router: ConversationRouter,
    store: ConversationStore,
    handoff: HandoffService,
) -> WeComConnector | None:
    """WeCom 微信客服 when corp ID, secret, token and AES key are set; said once either way."""
    if not settings.wecom_enabled:
        logger.info(
            "未设置 WECOM_CORP_ID、WECOM_SECRET、WECOM_TOKEN、WECOM_AES_KEY，"
            "本次不启用企业微信「微信客服」渠道"
        )
        return None
    wechat = WechatStore(engine)
    client = WeComClient(
        settings.wecom_corp_id, settings.wecom_secret, settings.wecom_api_url, token_storage(settings, wechat)
    )
    protocol = WeComProtocol(settings.wecom_token, settings.wecom_corp_id, settings.wecom_aes_key)
    servicers = settings.wecom_servicer_map
    connector = WeComConnector(
        router,
        store,
        wechat,
        protocol,
        client,
        settings.wechat_push_window_hours,
        handoff,
        settings.wecom_handoff,
        servicers,
    )
    handoff.register_pusher(WECOM, connector.push)
    if settings.wecom_handoff == "wecom":
        routed = "、".join(f"{area}→{userid}" for area, userid in servicers.items()) or "无"
        how = f"转人工交给企业微信接待人员（按领域指定：{routed}；其余进待接入池）"
    else:
        how = "转人工由工作台经接口回复"
        if servicers:
            logger.warning("WECOM_SERVICERS 只在 WECOM_HANDOFF=wecom 时使用，本次忽略")
    logger.info("企业微信「微信客服」渠道已启用（回调地址 /wecom/callback，%s）", how)
    return connector
