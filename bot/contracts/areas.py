"""The service areas: the key every layer stores, routes and reports by, and its Chinese label.

Part of the core (settings, persistence, knowledge and the console all use them), so it
imports nothing of ours.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class Area(StrEnum):
    """The nine livelihood service areas; the value is the key used everywhere."""

    education = "education"
    social_security = "social_security"
    employment = "employment"
    healthcare = "healthcare"
    housing = "housing"
    transport = "transport"
    certificates = "certificates"
    enterprise_licensing = "enterprise_licensing"
    qualification = "qualification"
    other = "other"  # imported catalog items that belong to none of the nine


SERVICE_AREAS: tuple[Area, ...] = tuple(a for a in Area if a is not Area.other)


AREA_LABELS: dict[Area, str] = {
    Area.education: "教育",
    Area.social_security: "社保",
    Area.employment: "就业",
    Area.healthcare: "医疗",
    Area.housing: "住房",
    Area.transport: "交通",
    Area.certificates: "证件办理",
    Area.enterprise_licensing: "企业办证",
    Area.qualification: "资质认定",
    Area.other: "其他",
}


class AreaQuestion(BaseModel):
    """`POST /area` on the action server: which area a text (masked, simplified) is about."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class AreaAnswer(BaseModel):
    """The action server's area classifier on one text: the area, how sure, and whether the
    text named it («交通方面»)."""

    area: Area
    confidence: float
    explicit: bool = False
