"""Answers rendered from the fields a question asks for, as a short numbered list that ends
with the item's source and last-verified date (so a citizen can judge how current it is)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum

from knowledge.schema import Fee, Material, ServiceItem, ServicePlace, TimeLimit


class QuestionType(StrEnum):
    materials = "materials"
    fee = "fee"
    steps = "steps"
    location = "location"
    time_limit = "time_limit"
    hours = "hours"
    eligibility = "eligibility"
    online = "online"
    contact = "contact"
    overview = "overview"
    benefit = "benefit"  # 待遇、补贴、贷款额度及其计算
    record = "record"  # 查询本人的记录（缴费年限、余额、记分、进度）：在哪里、怎么查


QUESTION_LABELS: dict[QuestionType, str] = {
    QuestionType.materials: "所需材料",
    QuestionType.fee: "收费标准",
    QuestionType.steps: "办理流程",
    QuestionType.location: "办理地点",
    QuestionType.time_limit: "办理时限",
    QuestionType.hours: "办公时间",
    QuestionType.eligibility: "受理条件",
    QuestionType.online: "网上办理",
    QuestionType.contact: "咨询电话",
    QuestionType.overview: "事项概况",
    QuestionType.benefit: "待遇标准",
    QuestionType.record: "查询方式",
}

# The assistant never sees anyone's records; the record answer says where the citizen can.
RECORD_PRIVACY_NOTE = "个人记录须本人身份核验后查询，智能助手无法查看您的个人信息。"


def _numbered(lines: Sequence[str]) -> str:
    return "\n".join(f"{n}. {line}" for n, line in enumerate(lines, start=1))


def _yuan(amount: Decimal) -> str:
    return f"{amount.normalize():f} 元"


def material_line(material: Material) -> str:
    details: list[str] = []
    if material.form in ("现场采集", "填写"):
        details.append(material.form)
    elif material.form != "未注明":
        details.append(f"{material.form} {material.copies} 份")
    if not material.required:
        details.append("视情况提供")
    line = f"{material.name}（{'，'.join(details)}）" if details else material.name
    return f"{line}：{material.note}" if material.note else line


def fee_amount(fee: Fee) -> str:
    if fee.set_locally:
        return "按当地公布的标准收取"
    if fee.free or fee.amount_yuan is None:
        return "免费"
    return f"{fee.per} {_yuan(fee.amount_yuan)}" if fee.per else _yuan(fee.amount_yuan)


def fee_line(fee: Fee) -> str:
    line = f"{fee.name}：{fee_amount(fee)}"
    if fee.note:
        line += f"。{fee.note}"
    if fee.basis:
        line += f"（依据：{fee.basis}）"
    return line


def time_limit_lines(limit: TimeLimit) -> list[str]:
    lines = []
    if limit.legal_days is not None:
        unit = "个工作日" if limit.legal_unit == "工作日" else "日"
        lines.append(f"法定时限：{limit.legal_days} {unit}")
    if limit.promised_working_days is not None:
        promised = (
            "即时办结" if limit.promised_working_days == 0 else f"{limit.promised_working_days} 个工作日"
        )
        lines.append(f"承诺时限：{promised}")
    if limit.note:
        lines.append(limit.note)
    return lines


def place_line(place: ServicePlace) -> str:
    windows = f"；窗口：{'、'.join(place.windows)}" if place.windows else ""
    return f"{place.name}：{place.address}；办公时间：{place.hours}；电话：{place.phone}{windows}"


def _online_lines(item: ServiceItem) -> list[str]:
    if item.online is None:
        return ["本事项暂不支持网上办理，请到办理地点现场办理。"]
    parts = (item.online.channel, str(item.online.url or ""), item.online.note)
    return ["，".join(part for part in parts if part)]


def _consult_phone(item: ServiceItem) -> str:
    """The consult number, or "" where the record has none (imported catalogs often lack it)."""
    return item.phones.consult if item.phones is not None else ""


def _contact_lines(item: ServiceItem, places: Sequence[ServicePlace]) -> list[str]:
    lines = []
    if _consult_phone(item):
        lines.append(f"咨询电话：{_consult_phone(item)}")
    if item.phones is not None and item.phones.complaint:
        lines.append(f"投诉电话：{item.phones.complaint}")
    lines += [f"{place.name}：{place.phone}" for place in places]
    return lines


def _overview_lines(item: ServiceItem, places: Sequence[ServicePlace]) -> list[str]:
    """The essentials in a few lines; each detail has its own question type."""
    lines = [f"实施部门：{item.department}（{item.type}）"]
    if item.eligibility:
        first = item.eligibility[0].rstrip("。；;，, ")
        lines.append(f"受理条件：{first}" + ("等" if len(item.eligibility) > 1 else ""))
    if item.materials:
        lines.append(
            f"所需材料：共 {len(item.materials)} 项，主要有{'、'.join(m.name for m in item.materials[:3])}"
        )
    if item.fees:
        lines.append("收费：" + "；".join(f"{fee.name}{fee_amount(fee)}" for fee in item.fees))
    if item.time_limit is not None:
        lines.append("时限：" + "；".join(time_limit_lines(item.time_limit)[:2]))
    if places:
        lines.append(f"办理地点：{'、'.join(place.name for place in places)}")
    if item.online is not None:
        lines.append(f"网上办理：{item.online.channel or item.online.url}")
    return lines


def _location_lines(item: ServiceItem, places: Sequence[ServicePlace]) -> list[str]:
    lines = [place_line(place) for place in places]
    if item.location_note:
        lines.append(item.location_note)
    if item.online is not None:
        online = "网上办理：" + "，".join(
            part for part in (item.online.channel, str(item.online.url or ""), item.online.note) if part
        )
        lines.append(online)
    return lines


def _record_lines(item: ServiceItem, places: Sequence[ServicePlace]) -> list[str]:
    """Where the citizen looks their own record up: online channel, phone, hall."""
    lines = []
    if item.online is not None:
        parts = (item.online.channel, str(item.online.url or ""))
        lines.append("网上或手机查询：" + "，".join(part for part in parts if part))
    if item.phones is not None and item.phones.consult:
        lines.append(f"电话查询：{item.phones.consult}")
    halls = [place.name for place in places] or ([item.location_note] if item.location_note else [])
    if halls:
        lines.append(f"现场查询：{'、'.join(halls)}（携带本人有效身份证件）")
    return [*lines, RECORD_PRIVACY_NOTE] if lines else []


def _body(item: ServiceItem, question: QuestionType, places: Sequence[ServicePlace]) -> list[str]:
    renderers: dict[QuestionType, Callable[[], list[str]]] = {
        QuestionType.materials: lambda: [material_line(m) for m in item.materials],
        QuestionType.fee: lambda: [fee_line(f) for f in item.fees],
        QuestionType.steps: lambda: list(item.steps),
        QuestionType.location: lambda: _location_lines(item, places),
        QuestionType.time_limit: lambda: time_limit_lines(item.time_limit) if item.time_limit else [],
        QuestionType.hours: lambda: [f"{place.name}：{place.hours}" for place in places],
        QuestionType.eligibility: lambda: list(item.eligibility),
        QuestionType.online: lambda: _online_lines(item),
        QuestionType.contact: lambda: _contact_lines(item, places),
        QuestionType.overview: lambda: _overview_lines(item, places),
        QuestionType.benefit: lambda: list(item.benefits),
        QuestionType.record: lambda: _record_lines(item, places),
    }
    return renderers[question]()


def has_answer(item: ServiceItem, question: QuestionType, places: Sequence[ServicePlace]) -> bool:
    """False when the item's record holds nothing for this question. A complaint line alone
    does not answer «电话是多少»: it is for complaints, so a person is offered instead."""
    if question is QuestionType.contact:
        return bool(_consult_phone(item) or places)
    return bool(_body(item, question, places))


def missing_line(item: ServiceItem, question: QuestionType) -> str:
    """What the answer says when the record lacks the field asked for: plainly that the guide
    does not give it, and where to ask instead (never a number the record does not have)."""
    if question is QuestionType.contact:
        return "该事项的办事指南未提供咨询电话，可拨打 12345 政务服务便民热线咨询。"
    ask = (
        "拨打下方咨询电话或 12345 政务服务便民热线" if _consult_phone(item) else "拨打 12345 政务服务便民热线"
    )
    return f"该事项的办事指南未提供{QUESTION_LABELS[question]}信息，请{ask}确认。"


def render_answer(item: ServiceItem, question: QuestionType, places: Sequence[ServicePlace]) -> str:
    """「【事项】字段：」 then a numbered list, then the source and its verification date.

    No blank lines: Rasa's REST channel splits a text at every blank line into separate
    messages, which would separate the answer from its source."""
    header = f"【{item.name}】{QUESTION_LABELS[question]}："
    footer = f"来源：{item.source}（核验日期：{item.last_verified.isoformat()}）"
    if _consult_phone(item):
        footer += f"\n咨询电话：{_consult_phone(item)}"
    body = _body(item, question, places)
    if not has_answer(item, question, places):
        body = [missing_line(item, question), *body]
    return f"{header}\n{_numbered(body)}\n{footer}"


def render_place(place: ServicePlace, question: QuestionType) -> str:
    """A question about a hall itself («车管所几点上班»): the line asked for, then the rest."""
    asked = {
        QuestionType.hours: f"办公时间：{place.hours}",
        QuestionType.contact: f"电话：{place.phone}",
    }.get(question, f"地址：{place.address}")
    lines = [
        asked,
        *(
            line
            for line in (f"地址：{place.address}", f"办公时间：{place.hours}", f"电话：{place.phone}")
            if line != asked
        ),
    ]
    if place.windows:
        lines.append(f"窗口：{'、'.join(place.windows)}")
    if place.note:
        lines.append(place.note)
    return f"【{place.name}】\n{_numbered(lines)}"
