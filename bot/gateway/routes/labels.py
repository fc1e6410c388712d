"""The Chinese labels of the values the console and the reports pages show (areas, handoff
reasons, ticket and follow-up statuses), served from the enums that define them, so the
pages' scripts keep no copy."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bot.contracts.areas import AREA_LABELS
from bot.contracts.follow_ups import FOLLOW_UP_STATUS_LABELS
from bot.contracts.tickets import HANDOFF_REASON_LABELS, TICKET_STATUS_LABELS
from bot.gateway.auth import StaffDep
from bot.gateway.errors import error_responses

router = APIRouter(prefix="/api/v1/labels", tags=["labels"], responses=error_responses(401))


class Labels(BaseModel):
    """Each value (the key stored and sent everywhere) with its label, in display order."""

    model_config = ConfigDict(frozen=True)

    areas: dict[str, str] = Field(description="领域（`other`：不属于九个领域的事项）")
    handoff_reasons: dict[str, str] = Field(description="转人工原因（工单的 reason）")
    ticket_statuses: dict[str, str] = Field(description="工单状态")
    follow_up_statuses: dict[str, str] = Field(description="差评回访任务状态")


LABELS = Labels(
    areas={area.value: label for area, label in AREA_LABELS.items()},
    handoff_reasons={reason.value: label for reason, label in HANDOFF_REASON_LABELS.items()},
    ticket_statuses={status.value: label for status, label in TICKET_STATUS_LABELS.items()},
    follow_up_statuses={status.value: label for status, label in FOLLOW_UP_STATUS_LABELS.items()},
)


@router.get("")
async def labels(_staff: StaffDep) -> Labels:
    """What the console shows for each area, handoff reason, ticket and follow-up status."""
    return LABELS
