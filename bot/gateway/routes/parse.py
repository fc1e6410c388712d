"""`POST /api/v1/parse`: what the assistant understands from a text, for operators tuning it.
On by default; `PARSE_ENDPOINT=false` removes it. The text is masked and converted to
simplified Chinese exactly as a chat message would be, and no conversation is touched."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from bot.contracts.areas import Area
from bot.gateway.deps import KnowledgeDep, RasaDep
from bot.gateway.errors import error_responses
from bot.gateway.rasa_client import RasaUnavailableError
from bot.privacy import mask_personal_data
from knowledge.chinese import as_mandarin
from knowledge.search import KnowledgeBase

router = APIRouter(prefix="/api/v1", tags=["nlu"])
logger = logging.getLogger(__name__)

PARSE_UNAVAILABLE = "暂时无法解析：Rasa 或动作服务未就绪（各部分的状态见 /readyz），请稍后再试。"


class ParseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class ParseResponse(BaseModel):
    intent: str | None
    confidence: float
    entities: list[dict[str, Any]]
    area: str


def area_named_by(entities: list[dict[str, Any]], knowledge: KnowledgeBase) -> Area | None:
    """The area the citizen named, else the area of the item named."""
    for entity in entities:
        if entity.get("entity") == "area" and str(entity.get("value")) in Area.__members__:
            return Area(str(entity["value"]))
    for entity in entities:
        if entity.get("entity") == "service_item":
            item = knowledge.resolve(str(entity.get("value", "")))
            if item is not None:
                return item.area
    return None


def _unavailable(exc: RasaUnavailableError) -> HTTPException:
    """Not the chat's 503 («您的留言已保存»): nothing is stored here, and an operator wants to
    know where to look."""
    logger.error("解析接口：%s", exc)
    return HTTPException(status_code=503, detail=PARSE_UNAVAILABLE)


@router.post("/parse", response_model=ParseResponse, responses=error_responses(503))
async def parse(body: ParseRequest, rasa: RasaDep, knowledge: KnowledgeDep) -> ParseResponse:
    """Rasa's reading of the text, and its area: named, or else the action server's classifier."""
    text = as_mandarin(mask_personal_data(body.text))
    try:
        result = await rasa.parse(text)
    except RasaUnavailableError as exc:
        raise _unavailable(exc) from exc
    intent = result.get("intent") or {}
    entities = [
        {key: entity.get(key) for key in ("entity", "value", "start", "end", "confidence_entity")}
        for entity in result.get("entities") or []
    ]
    area = await run_in_threadpool(area_named_by, entities, knowledge)
    if area is None:
        try:
            area = await rasa.area(text)
        except RasaUnavailableError as exc:
            raise _unavailable(exc) from exc
    return ParseResponse(
        intent=intent.get("name"),
        confidence=round(float(intent.get("confidence") or 0.0), 4),
        entities=entities,
        area=area.value,
    )
