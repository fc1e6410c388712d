"""The shape of the knowledge base: service items (事项), service places and FAQ pairs.

Answers are rendered from these fields, so each field is typed and validated at load time:
a fee without an amount, a material without a form or an item without a source is refused
with the file, the item and the field named, instead of producing a wrong answer later.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, StringConstraints, model_validator

from bot.contracts.areas import Area

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ItemId = Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[a-z0-9_]+$")]
PlaceId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]


# How citizens name an area in a sentence (「交通方面的投诉」「社保的问题」). Generated into the
# `area` lookup table and synonyms for Rasa, so the entity value is always the area key.
AREA_TERMS: dict[Area, tuple[str, ...]] = {
    Area.education: ("教育", "教育类", "教育方面", "学校方面"),
    Area.social_security: ("社保", "社会保障", "社会保险", "社保方面", "养老保险方面"),
    Area.employment: ("就业", "就业创业", "劳动就业", "就业方面", "劳动保障"),
    Area.healthcare: ("医疗", "医疗保障", "医疗卫生", "卫生健康", "医疗方面", "看病就医"),
    Area.housing: ("住房", "住房保障", "住房方面", "房子方面"),
    Area.transport: ("交通", "交通出行", "交通运输", "交通方面", "出行方面"),
    Area.certificates: ("证件办理", "证件", "户籍", "户政", "证件方面", "户口方面"),
    Area.enterprise_licensing: ("企业办证", "企业开办", "市场主体登记", "企业方面", "营商环境"),
    Area.qualification: ("资质认定", "资质", "职业资格", "资格认定", "资质方面"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Material(_Strict):
    """One document the applicant brings (所需材料)."""

    name: NonEmpty
    form: Literal["原件", "复印件", "原件及复印件", "电子证照", "现场采集", "填写", "未注明"] = "原件"
    copies: int = Field(default=1, ge=0, le=20)
    required: bool = True
    note: str = ""


class Fee(_Strict):
    """One charge (收费标准); `free` must be stated explicitly when nothing is charged, and
    `set_locally` when a charge exists but its amount is fixed by local or yearly notices
    (no number is better than a wrong one)."""

    name: NonEmpty
    free: bool = False
    set_locally: bool = False
    amount_yuan: Decimal | None = Field(default=None, ge=0)
    per: str = Field(default="", description="计费单位，如“每证”“每人每科”")
    basis: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _amount_or_free(self) -> Self:
        if self.free and (self.set_locally or self.amount_yuan not in (None, Decimal(0))):
            raise ValueError("标为免费（free: true）的收费项不能再写金额或 set_locally")
        if self.set_locally and self.amount_yuan is not None:
            raise ValueError("set_locally 表示金额由当地确定，不能同时写 amount_yuan")
        if not self.free and not self.set_locally and self.amount_yuan is None:
            raise ValueError(
                "收费项必须写金额（amount_yuan）；不收费请写 free: true；金额由当地确定请写 set_locally: true"
            )
        return self


class TimeLimit(_Strict):
    """Legal (法定) and promised (承诺) time limits; 0 promised days means 即时办结."""

    legal_days: int | None = Field(default=None, ge=0)
    legal_unit: Literal["工作日", "日"] = "工作日"
    promised_working_days: int | None = Field(default=None, ge=0)
    note: str = ""

    @model_validator(mode="after")
    def _something_stated(self) -> Self:
        if self.legal_days is None and self.promised_working_days is None and not self.note:
            raise ValueError("办理时限至少要写法定时限、承诺时限或说明之一")
        return self


class OnlineService(_Strict):
    """Where the item can be handled online (网上办理)."""

    url: HttpUrl | None = None
    channel: str = ""
    note: str = ""


class Phones(_Strict):
    """The item's phone numbers. Real catalog exports sometimes list only a complaint line, so
    the consult number may be empty here (answers then say the guide gives none); at least one
    number must be present, and authored items need a consult number (`AuthoredPhones`)."""

    consult: Annotated[str, StringConstraints(strip_whitespace=True)] = ""
    complaint: Annotated[str, StringConstraints(strip_whitespace=True)] = ""

    @model_validator(mode="after")
    def _some_number(self) -> Self:
        if not self.consult and not self.complaint:
            raise ValueError(
                "电话至少要写咨询电话（consult）或投诉电话（complaint）之一；都没有请不写 phones"
            )
        return self


class AuthoredPhones(Phones):
    """Authored items always give a consult number: it is what an answer tells citizens to call."""

    consult: NonEmpty


class FaqPair(_Strict):
    q: NonEmpty
    a: NonEmpty


class FaqEntry(_Strict):
    """A FAQ pair as stored and indexed: loose (item_id None) or taken from an item."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[a-z0-9_]+$")]
    area: Area
    item_id: str | None = None
    q: NonEmpty
    a: NonEmpty


class ServiceItem(_Strict):
    """A public service item (政务服务事项) as a citizen would ask about it.

    Lists may be empty for items imported from a district's catalog (which often lacks fees
    or steps): the answer then says the information is missing instead of guessing. Authored
    items must be complete, which `AuthoredItem` enforces.
    """

    id: ItemId
    area: Area
    name: NonEmpty
    aliases: list[NonEmpty] = Field(default_factory=list)
    situations: list[NonEmpty] = Field(
        default_factory=list,
        description="群众描述自己处境的说法（如“孩子明年上小学”），只用于检索，不作为事项名称",
    )
    department: NonEmpty
    type: NonEmpty
    eligibility: list[NonEmpty] = Field(default_factory=list)
    materials: list[Material] = Field(default_factory=list)
    fees: list[Fee] = Field(default_factory=list)
    steps: list[NonEmpty] = Field(default_factory=list)
    benefits: list[NonEmpty] = Field(
        default_factory=list,
        description="待遇、补贴或贷款额度及其计算方法（“能领多少”“最多贷多少”的答案）",
    )
    time_limit: TimeLimit | None = None
    places: list[PlaceId] = Field(default_factory=list)
    location_note: str = Field(default="", description="办理地点的文字说明（导入的目录常只有文字地址）")
    online: OnlineService | None = None
    legal_basis: list[NonEmpty] = Field(default_factory=list)
    phones: Phones | None = None
    faqs: list[FaqPair] = Field(default_factory=list)
    last_verified: dt.date
    source: NonEmpty

    @model_validator(mode="after")
    def _id_matches_area(self) -> Self:
        if not self.id.startswith(f"{self.area.value}."):
            raise ValueError(f"事项编号 {self.id} 必须以所属领域 {self.area.value}. 开头")
        return self

    @property
    def names(self) -> list[str]:
        """The official name first, then every alias a citizen may use."""
        return [self.name, *self.aliases]


class AuthoredItem(ServiceItem):
    """An item written for `knowledge/data/`: every field a citizen may ask about is filled."""

    eligibility: list[NonEmpty] = Field(min_length=1)
    materials: list[Material] = Field(min_length=1)
    fees: list[Fee] = Field(min_length=1)
    steps: list[NonEmpty] = Field(min_length=1)
    time_limit: TimeLimit
    places: list[PlaceId] = Field(min_length=1)
    phones: AuthoredPhones


class ServicePlace(_Strict):
    """A hall or centre where items are handled (政务服务大厅、部门大厅、村(社区)服务中心)."""

    id: PlaceId
    name: NonEmpty
    kind: Literal["政务服务大厅", "部门服务大厅", "村(社区)服务中心"]
    aliases: list[NonEmpty] = Field(default_factory=list, description="群众的叫法，如“车管所”")
    address: NonEmpty
    hours: NonEmpty
    phone: NonEmpty
    windows: list[NonEmpty] = Field(default_factory=list)
    note: str = ""


class AreaFile(_Strict):
    """One authored file under knowledge/data/: all items of one area."""

    area: Area
    sample_data: bool
    items: list[AuthoredItem]
    faqs: list[FaqPair] = Field(default_factory=list, description="不属于单个事项的常见问答")

    @model_validator(mode="after")
    def _items_in_area(self) -> Self:
        for item in self.items:
            if item.area != self.area:
                raise ValueError(
                    f"事项 {item.id} 的领域 {item.area.value} 与文件领域 {self.area.value} 不一致"
                )
        return self


class PlacesFile(_Strict):
    sample_data: bool
    places: list[ServicePlace]
