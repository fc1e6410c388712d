"""Staff accounts and their logins.

Passwords are hashed with Argon2id (argon2-cffi's defaults). A login, whether a console
cookie or an API token, is a random secret handed to the client once; the database keeps only
its SHA-256, so a leaked database does not leak live sessions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.persistence.models import Staff, StaffRole, StaffSession, as_utc, utcnow
from knowledge.schema import Area

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
MIN_PASSWORD_CHARS = 8
_hasher = PasswordHasher()


class StaffError(ValueError):
    """A staff account could not be created as asked (the message says why, in Chinese)."""


@dataclass(frozen=True)
class StaffView:
    id: int
    username: str
    role: StaffRole
    areas: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.role == StaffRole.admin

    @property
    def is_supervisor(self) -> bool:
        return self.role == StaffRole.supervisor

    def visible_areas(self) -> list[str] | None:
        """The areas whose tickets and reports this person may read; None means every area
        (admins and supervisors)."""
        return None if self.is_admin or self.is_supervisor else list(self.areas)

    def may_read(self, area: str) -> bool:
        return self.is_admin or self.is_supervisor or area in self.areas

    def may_handle(self, area: str) -> bool:
        """Claim, reply, transfer, resolve, close, work a follow-up: never a supervisor."""
        return self.is_admin or (self.role == StaffRole.staff and area in self.areas)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_areas(raw: Iterable[str]) -> tuple[str, ...]:
    areas = []
    for name in raw:
        name = name.strip()
        if not name:
            continue
        try:
            areas.append(Area(name).value)
        except ValueError:
            known = "、".join(area.value for area in Area)
            raise StaffError(f"未知的领域「{name}」，可选：{known}") from None
    return tuple(dict.fromkeys(areas))


def _view(row: Staff) -> StaffView:
    return StaffView(row.id, row.username, StaffRole(row.role), tuple(row.areas or ()))


class StaffStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def add(
        self, username: str, password: str, areas: Iterable[str], role: StaffRole = StaffRole.staff
    ) -> StaffView:
        if not USERNAME.match(username):
            raise StaffError("用户名须为 2–64 个字母、数字、下划线、点或短横线")
        if len(password) < MIN_PASSWORD_CHARS:
            raise StaffError(f"密码至少 {MIN_PASSWORD_CHARS} 个字符")
        area_list = parse_areas(areas)
        if not area_list and role == StaffRole.staff:
            raise StaffError("请用 --areas 指定至少一个负责领域（管理员、督查员可不指定）")
        row = Staff(
            username=username,
            password_hash=_hasher.hash(password),
            role=role.value,
            areas=list(area_list),
            active=True,
        )
        with self._sessions() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                raise StaffError(f"用户名 {username} 已存在") from None
            return _view(row)

    def authenticate(self, username: str, password: str) -> StaffView | None:
        with self._sessions() as session:
            row = session.scalars(select(Staff).where(Staff.username == username, Staff.active)).first()
            if row is None:
                _hasher.hash(password)  # same cost whether or not the user exists
                return None
            try:
                _hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                return None
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
                session.commit()
            return _view(row)

    def usernames(self) -> list[str]:
        """Every account's name, active or not (for the list of login locks)."""
        with self._sessions() as session:
            return list(session.scalars(select(Staff.username).order_by(Staff.username)))

    def get(self, staff_id: int) -> StaffView | None:
        with self._sessions() as session:
            row = session.get(Staff, staff_id)
            return _view(row) if row and row.active else None

    def start_session(self, staff_id: int, kind: str, lifetime: dt.timedelta) -> str:
        """A new secret for this staff member; only its digest is stored."""
        token = secrets.token_urlsafe(32)
        with self._sessions() as session:
            session.add(
                StaffSession(
                    token_hash=_digest(token), staff_id=staff_id, kind=kind, expires_at=utcnow() + lifetime
                )
            )
            session.commit()
        return token

    def staff_for_token(self, token: str) -> StaffView | None:
        if not token:
            return None
        with self._sessions() as session:
            login = session.get(StaffSession, _digest(token))
            if login is None:
                return None
            if as_utc(login.expires_at) <= utcnow():
                session.delete(login)
                session.commit()
                return None
            row = session.get(Staff, login.staff_id)
            return _view(row) if row and row.active else None

    def end_session(self, token: str) -> None:
        with self._sessions() as session:
            session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
            session.commit()
