"""Staff accounts and their logins.

Passwords are hashed with Argon2id (argon2-cffi's defaults). A login, whether a console
cookie or an API token, is a random secret handed to the client once; the database keeps only
its SHA-256, so a leaked database does not leak live sessions.

A session ends at whichever comes first: `idle` without a request (its row's `expires_at`,
pushed forward as it is used) or `absolute` after the login (`created_at` + absolute), so a
forgotten console on a shared office PC does not stay signed in all day. Admins list and end
a person's sessions; disabling an account ends them all in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.contracts.areas import AREA_LABELS, Area
from bot.persistence.models import Staff, StaffRole, StaffSession, as_utc, utcnow

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


@dataclass(frozen=True)
class SessionPolicy:
    idle: dt.timedelta = dt.timedelta(minutes=30)
    absolute: dt.timedelta = dt.timedelta(hours=12)
    # A session's idle deadline is written at most this often (not on every request).
    refresh_every: dt.timedelta = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class SessionView:
    """One live login as an admin sees it; `id` is a prefix of the secret's digest, enough
    to tell sessions apart and end one, useless for signing in."""

    id: str
    kind: str
    created_at: dt.datetime
    idle_until: dt.datetime
    ends_at: dt.datetime

    def as_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
            "idle_until": self.idle_until.isoformat(),
            "ends_at": self.ends_at.isoformat(),
        }


SESSION_ID_CHARS = 16


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


def uncovered_warning(areas: Iterable[Area]) -> str | None:
    """The Chinese warning for queues nobody works (None when every queue is covered)."""
    listed = "、".join(f"{AREA_LABELS[area]}（{area.value}）" for area in areas)
    if not listed:
        return None
    return (
        f"以下队列没有在职的工作人员负责，转入的工单无人接单：{listed}。"
        "管理员虽可查看全部领域，但不算专人负责；"
        "请用 python -m bot staff add 用户名 --areas 领域 指定负责人。"
    )


def _view(row: Staff) -> StaffView:
    return StaffView(row.id, row.username, StaffRole(row.role), tuple(row.areas or ()))


class StaffStore:
    def __init__(
        self, engine: Engine, policy: SessionPolicy | None = None, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.policy = policy or SessionPolicy()
        self._clock = clock  # the current UTC time: sessions start, idle and end by it

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

    def uncovered_areas(self) -> list[Area]:
        """Every queue (the nine areas and `other`, in that order) that no active staff member
        has among their areas. Admins see every queue but are nobody's assigned worker, and
        supervisors never claim, so neither covers one. The start-up warning and the reports
        both ask this."""
        with self._sessions() as session:
            rows = session.scalars(
                select(Staff.areas).where(Staff.active, Staff.role == StaffRole.staff.value)
            )
            covered = {area for areas in rows for area in (areas or ())}
        return [area for area in Area if area.value not in covered]

    def usernames(self) -> list[str]:
        """Every account's name, active or not (for the list of login locks)."""
        with self._sessions() as session:
            return list(session.scalars(select(Staff.username).order_by(Staff.username)))

    def get(self, staff_id: int) -> StaffView | None:
        with self._sessions() as session:
            row = session.get(Staff, staff_id)
            return _view(row) if row and row.active else None

    def start_session(self, staff_id: int, kind: str, replacing: str = "") -> str:
        """A new secret for this staff member (only its digest is stored); the session the
        client held before (`replacing`, e.g. the cookie sent with the login form) ends, so a
        session id planted before the login is never the one signed in."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions() as session:
            if replacing:
                session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(replacing)))
            session.add(
                StaffSession(
                    token_hash=_digest(token),
                    staff_id=staff_id,
                    kind=kind,
                    created_at=now,
                    expires_at=now + min(self.policy.idle, self.policy.absolute),
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
            now = self._clock()
            ends_at = as_utc(login.created_at) + self.policy.absolute
            if as_utc(login.expires_at) <= now or ends_at <= now:
                session.delete(login)
                session.commit()
                return None
            idle_until = min(ends_at, now + self.policy.idle)
            if idle_until - as_utc(login.expires_at) >= self.policy.refresh_every:
                login.expires_at = idle_until
                session.commit()
            row = session.get(Staff, login.staff_id)
            return _view(row) if row and row.active else None

    def sessions_of(self, username: str) -> list[SessionView] | None:
        """This account's live sessions, newest first; None when there is no such account."""
        now = self._clock()
        with self._sessions() as session:
            staff_id = session.scalar(select(Staff.id).where(Staff.username == username))
            if staff_id is None:
                return None
            rows = session.scalars(
                select(StaffSession)
                .where(StaffSession.staff_id == staff_id)
                .order_by(StaffSession.created_at.desc())
            )
            views = [
                SessionView(
                    row.token_hash[:SESSION_ID_CHARS],
                    row.kind,
                    as_utc(row.created_at),
                    as_utc(row.expires_at),
                    as_utc(row.created_at) + self.policy.absolute,
                )
                for row in rows
            ]
        return [view for view in views if view.idle_until > now and view.ends_at > now]

    def end_sessions(self, username: str, session_id: str = "") -> int:
        """End one session of this account (by its id) or all of them; how many ended."""
        with self._sessions() as session:
            staff_id = session.scalar(select(Staff.id).where(Staff.username == username))
            if staff_id is None:
                return 0
            ended = self._end_sessions(session, staff_id, session_id)
            session.commit()
            return ended

    def set_active(self, username: str, active: bool) -> int | None:
        """Enable or disable an account; disabling ends its sessions at once (the count), so
        a colleague who left cannot go on with a console still open. None: no such account."""
        with self._sessions() as session:
            staff_id = session.scalar(select(Staff.id).where(Staff.username == username))
            if staff_id is None:
                return None
            session.execute(update(Staff).where(Staff.id == staff_id).values(active=active))
            ended = 0 if active else self._end_sessions(session, staff_id)
            session.commit()
            return ended

    @staticmethod
    def _end_sessions(session: Session, staff_id: int, session_id: str = "") -> int:
        query = delete(StaffSession).where(StaffSession.staff_id == staff_id)
        if session_id:
            query = query.where(StaffSession.token_hash.startswith(session_id, autoescape=True))
        result = session.execute(query)
        return int(getattr(result, "rowcount", 0) or 0)

    def end_session(self, token: str) -> None:
        with self._sessions() as session:
            session.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))
            session.commit()
