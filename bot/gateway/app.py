"""Gateway app factory. Everything with a connection or a file is created in the lifespan
and kept on `app.state`; importing this module does nothing."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from bot.console import routes as console
from bot.gateway.body_limit import BodySizeLimitMiddleware
from bot.gateway.bus import make_bus
from bot.gateway.conversation import ConversationRouter
from bot.gateway.conversation_access import ConversationAccess, conversation_secret
from bot.gateway.cors import WidgetCORSMiddleware
from bot.gateway.errors import error_responses, install_error_handlers
from bot.gateway.handoff import HandoffService
from bot.gateway.login_guard import LoginGuard
from bot.gateway.rasa_client import RasaClient
from bot.gateway.routes import (
    auth,
    docs,
    faq_drafts,
    follow_ups,
    health,
    kb,
    labels,
    locks,
    parse,
    reports,
    staff_sessions,
    tickets,
)
from bot.gateway.security import SecurityHeadersMiddleware
from bot.gateway.throttle import ChatRules, Throttle, open_storage
from bot.office_hours import OfficeHours
from bot.persistence.faq_drafts import FaqDraftStore
from bot.persistence.follow_ups import FollowUpStore
from bot.persistence.gap_decisions import GapDecisionStore
from bot.persistence.migrate import upgrade_to_head
from bot.persistence.staff import SessionPolicy, StaffStore, uncovered_warning
from bot.persistence.store import ConversationStore, create_db_engine
from bot.persistence.tickets import TicketStore
from bot.reports.gaps import GapReport
from bot.reports.staff_figures import OfficeClock, StaffReport
from bot.reports.summary import SummaryReport
from bot.reports.volume import VolumeReport
from bot.settings import Settings, load_settings
from bot.startup_gc import freeze_startup_objects
from bot.work_calendar import WorkCalendar
from connectors.base import ChannelContext
from connectors.registry import Channels, channel_routes
from knowledge.dense import embedder_for
from knowledge.service import open_knowledge_base, open_store, prepare_knowledge

logger = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    """Our own loggers to stderr at LOG_LEVEL (uvicorn configures only its own)."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s：%(message)s")
    # One line per request to Rasa would drown the rest; urllib3 (under wechatpy) would also
    # write the URLs of WeChat API calls, which carry the access token.
    for chatty in ("httpx", "httpcore", "urllib3"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database_url = settings.effective_database_url
        await run_in_threadpool(upgrade_to_head, database_url)
        engine = create_db_engine(database_url)
        store = ConversationStore(engine)
        rasa = RasaClient(settings.rasa_server_urls, settings.actions_url, settings.rasa_timeout_seconds)
        bus = make_bus(settings.redis_url, settings.redis_prefix)
        await bus.start()
        app.state.settings = settings
        app.state.conversation_access = ConversationAccess(
            await run_in_threadpool(conversation_secret, settings), tuple(settings.chat_api_keys)
        )
        app.state.throttle = Throttle(open_storage(settings))
        app.state.chat_rules = ChatRules.from_settings(settings)
        app.state.login_guard = LoginGuard(app.state.throttle, settings)
        app.state.store = store
        app.state.rasa = rasa
        app.state.bus = bus
        app.state.tickets = TicketStore(engine, settings.timezone)
        app.state.staff = StaffStore(
            engine,
            SessionPolicy(
                idle=dt.timedelta(minutes=settings.staff_session_idle_minutes),
                absolute=dt.timedelta(hours=settings.staff_session_hours),
            ),
        )
        app.state.faq_drafts = FaqDraftStore(engine)
        await run_in_threadpool(prepare_knowledge, settings)
        app.state.knowledge = await run_in_threadpool(open_knowledge_base, settings)
        app.state.knowledge_store = open_store(settings)
        app.state.channels = channels = Channels()
        app.state.handoff = HandoffService(
            store,
            app.state.tickets,
            rasa,
            bus,
            OfficeHours.from_settings(settings),
            app.state.knowledge,
            channels,
        )
        app.state.follow_ups = FollowUpStore(
            engine,
            WorkCalendar.from_iso(settings.holidays, settings.makeup_workdays),
            settings.follow_up_working_days,
            settings.timezone,
        )
        app.state.reports = SummaryReport(engine)
        app.state.gaps = GapReport(
            engine, embedder_for(settings.effective_embedding_cache), app.state.knowledge.search
        )
        app.state.gap_decisions = GapDecisionStore(engine, app.state.faq_drafts)
        calendar = WorkCalendar.from_iso(settings.holidays, settings.makeup_workdays)
        app.state.staff_report = StaffReport(
            engine,
            OfficeClock(OfficeHours.from_settings(settings)),
            calendar,
            settings.resolution_working_days,
        )
        app.state.volume = VolumeReport(engine)
        app.state.router = ConversationRouter(store, rasa, app.state.handoff, app.state.follow_ups)
        await channels.start(
            ChannelContext(settings, engine, store, bus, app.state.router, app.state.handoff)
        )
        warning = uncovered_warning(await run_in_threadpool(app.state.staff.uncovered_areas))
        if warning:
            logger.warning(warning)
        logger.info("网关已启动：%s（工作台 %s/console）", settings.gateway_url, settings.gateway_url)
        freeze_startup_objects()
        try:
            yield
        finally:
            await channels.stop()
            await bus.aclose()
            await rasa.aclose()
            store.close()

    # The docs pages are served by routes/docs.py, under their own security policy.
    # Every route may meet the body limit and (with parameters) validation; both answer ErrorBody.
    app = FastAPI(
        title="政务咨询助手",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        responses=error_responses(413, 422),
    )
    install_error_handlers(app)
    app.include_router(docs.router)
    app.include_router(health.router)
    for routes in channel_routes():  # REST (with the widget's page and script), Telegram, WeChat
        app.include_router(routes)
    app.include_router(kb.router)
    app.include_router(faq_drafts.router)
    app.include_router(auth.router)
    app.include_router(locks.router)
    app.include_router(staff_sessions.router)
    app.include_router(tickets.router)
    app.include_router(labels.router)
    app.include_router(follow_ups.router)
    app.include_router(reports.router)
    app.include_router(console.router)
    # Outermost last: headers go on every response, CORS answers for the widget's routes
    # (413s included), and an oversized body is refused before anything reads it.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(WidgetCORSMiddleware, origins=settings.widget_origins)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.parse_endpoint:
        app.include_router(parse.router)
    return app
