"""Signing in: one-time passwords for invitation links, and browser sessions.

Every secret here (link token, password, session token) is random and stored only as a
SHA-256 hash; a database dump opens nothing.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from clinic.db import sessionmaker
from clinic.domain import Principal, Role
from clinic.tables import Doctor, Invitation, LoginFailure, OtpChallenge, Patient, SessionRow
from clinic.time import aware
from clinic.time import now as clock

# The browser session's cookie, read alike by the HTTP routes and the socket server.
SESSION_COOKIE = "telemed_session"
OTP_TTL = timedelta(minutes=5)
OTP_ATTEMPTS = 5  # then the challenge is locked and a new code must be asked for
OTP_PER_WINDOW = 3  # codes one link may ask for ...
OTP_WINDOW = timedelta(minutes=15)  # ... in this window
PASSWORD_FAILURES = 5  # wrong passwords in a row for one login, then ...
LOCKOUT = timedelta(minutes=15)  # ... it is locked this long, from any address


_DUMMY_HASH = PasswordHasher().hash(secrets.token_urlsafe(16))


class SignInRefused(Exception):
    """Why signing in did not work, as a code the pages translate and a message; `extra`
    tells the page what it can still do (the open code, tries left, how long to wait)."""

    def __init__(self, code: str, message: str, **extra: str | int | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


@dataclass(frozen=True)
class OtpSent:
    challenge_id: str
    code: str | None  # a new code to send by SMS (never logged); None: the open one stands
    phone: str
    language: str
    patient_id: str
    attempts_left: int
    retry_after_s: int  # until the link may ask for another code; 0: now


@dataclass(frozen=True)
class LiveSession:
    principal: Principal
    token_hash: str  # names the session to the sockets opened with it, never the secret
    expires_at: datetime


def _locked() -> SignInRefused:
    minutes = int(LOCKOUT.total_seconds() // 60)
    return SignInRefused(
        "account_locked", f"too many wrong passwords: this login is locked for {minutes} minutes"
    )


def _open(challenge: OtpChallenge, now: datetime) -> bool:
    return (
        challenge.used_at is None
        and aware(challenge.expires_at) > now
        and challenge.attempts < OTP_ATTEMPTS
    )


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class SignIn:
    def __init__(
        self, engine: AsyncEngine, session_ttl_s: int = 12 * 3600, invitation_ttl_s: int = 24 * 3600
    ) -> None:
        self._session = sessionmaker(engine)
        self._dialect = engine.dialect.name
        self.session_ttl = timedelta(seconds=session_ttl_s)
        # The server's own bound on a link's life: the command that made the link may have
        # run with another environment, and its expires_at only ever shortens this.
        self.invitation_ttl = timedelta(seconds=invitation_ttl_s)

    def _link_open(self, invitation: Invitation, now: datetime) -> bool:
        return (
            invitation.used_at is None
            and aware(invitation.expires_at) > now
            and aware(invitation.created_at) + self.invitation_ttl > now
        )

    async def start_otp(self, link_token: str, resend: bool = False) -> OtpSent:
        """The link's open one-time password (opening the link again sends no new SMS), or
        with `resend` a new one (at most OTP_PER_WINDOW a link in OTP_WINDOW)."""
        now = clock()
        async with self._session() as s, s.begin():
            row = (
                await s.execute(
                    select(Invitation, Patient)
                    .join(Patient, Patient.id == Invitation.patient_id)
                    .where(Invitation.token_hash == _hash(link_token))
                )
            ).first()
            if row is None or not self._link_open(row[0], now):
                raise SignInRefused("invalid_link", "the link is invalid, used or expired")
            invitation, patient = row
            recent = list(
                await s.scalars(
                    select(OtpChallenge)
                    .where(OtpChallenge.invitation_id == invitation.id)
                    .where(OtpChallenge.created_at > now - OTP_WINDOW)
                    .order_by(OtpChallenge.created_at)
                )
            )
            waiting = (
                0
                if len(recent) < OTP_PER_WINDOW
                else _seconds_until(aware(recent[-OTP_PER_WINDOW].created_at) + OTP_WINDOW, now)
            )
            open_ = [c for c in recent if _open(c, now)]

            def sent(challenge: OtpChallenge, code: str | None, wait: int) -> OtpSent:
                left = OTP_ATTEMPTS - (challenge.attempts or 0)
                return OtpSent(
                    challenge.id, code, patient.phone, patient.language, patient.id, left, wait
                )

            if open_ and not resend:
                return sent(open_[-1], None, waiting)
            if waiting:
                # The codes already on the phone still work: the page keeps its box.
                raise SignInRefused(
                    "too_many_codes",
                    "too many codes asked for; wait a while",
                    retry_after_s=waiting,
                    challenge_id=open_[-1].id if open_ else None,
                    attempts_left=OTP_ATTEMPTS - open_[-1].attempts if open_ else 0,
                )
            challenge = OtpChallenge(
                id=str(uuid.uuid4()),
                invitation_id=invitation.id,
                attempts=0,
                created_at=now,
                expires_at=now + OTP_TTL,
            )
            code = f"{secrets.randbelow(10**6):06d}"
            challenge.code_hash = _hash(challenge.id + code)
            s.add(challenge)
            wait = (
                0
                if len(recent) + 1 < OTP_PER_WINDOW
                else _seconds_until(
                    aware(([*recent, challenge])[-OTP_PER_WINDOW].created_at) + OTP_WINDOW, now
                )
            )
            return sent(challenge, code, wait)

    async def withdraw_otp(self, challenge_id: str) -> None:
        """Forgets a code whose SMS never left: it is neither open nor counted."""
        async with self._session() as s, s.begin():
            await s.execute(delete(OtpChallenge).where(OtpChallenge.id == challenge_id))

    async def verify_otp(self, link_token: str, challenge_id: str, code: str) -> str:
        """Checks the code against every open code of the link (the patient may type the
        one from an earlier SMS); on success uses up the link and returns a session token."""
        now = clock()
        async with self._session() as s, s.begin():
            row = (
                await s.execute(
                    select(OtpChallenge, Invitation)
                    .join(Invitation, Invitation.id == OtpChallenge.invitation_id)
                    .where(OtpChallenge.id == challenge_id)
                    .where(Invitation.token_hash == _hash(link_token))
                )
            ).first()
            if row is None:
                raise SignInRefused("invalid_link", "the link is invalid, used or expired")
            named, invitation = row
            if not self._link_open(invitation, now) or named.used_at is not None:
                raise SignInRefused("invalid_link", "the link is invalid, used or expired")
            # Every attempt is counted, atomically, on each open code before any is compared,
            # and is compared only with the codes it was counted on: five guesses in all
            # however many codes are open, as with one code.
            counted = (
                await s.execute(
                    update(OtpChallenge)
                    .where(OtpChallenge.invitation_id == invitation.id)
                    .where(OtpChallenge.used_at.is_(None))
                    .where(OtpChallenge.expires_at > now)
                    .where(OtpChallenge.attempts < OTP_ATTEMPTS)
                    .values(attempts=OtpChallenge.attempts + 1)
                    .returning(OtpChallenge.id, OtpChallenge.code_hash, OtpChallenge.attempts)
                )
            ).all()
            matched = next(
                (c.id for c in counted if secrets.compare_digest(c.code_hash, _hash(c.id + code))),
                None,
            )
            wrong_left = max((OTP_ATTEMPTS - c.attempts for c in counted), default=0)
        if matched is None:
            # Raised after the commit: the failed attempt must count.
            if not counted and aware(named.expires_at) <= now:
                raise SignInRefused("expired_code", "the code has expired; ask for a new one")
            raise SignInRefused(
                "wrong_code" if wrong_left else "locked",
                f"wrong code; {wrong_left} attempts left"
                if wrong_left
                else "too many wrong codes; ask for a new one",
                attempts_left=wrong_left,
            )
        challenge_id = matched
        async with self._session() as s, s.begin():
            used = await s.execute(
                update(Invitation)
                .where(Invitation.id == invitation.id)
                .where(Invitation.used_at.is_(None))
                .values(used_at=now)
            )
            if used.rowcount != 1:  # type: ignore[attr-defined]
                raise SignInRefused("invalid_link", "the link is invalid, used or expired")
            await s.execute(
                update(OtpChallenge).where(OtpChallenge.id == challenge_id).values(used_at=now)
            )
            token = secrets.token_urlsafe(32)
            s.add(
                SessionRow(
                    token_hash=_hash(token),
                    role=Role.PATIENT.value,
                    principal_id=invitation.patient_id,
                    created_at=now,
                    expires_at=now + self.session_ttl,
                )
            )
        return token

    async def doctor_password(self, login: str, password: str, code: str | None = None) -> str:
        """A console session for a doctor's login and password (argon2-checked), plus the
        authenticator's code for doctors who turned the second factor on.

        Five wrong passwords in a row lock the login for 15 minutes, whatever address they
        come from (the per-address limit alone lets a botnet guess on)."""
        await self._refuse_if_locked(login)
        async with self._session() as s:
            doctor = await s.scalar(select(Doctor).where(Doctor.login == login))
        try:
            # A missing login still costs a hash check, so timing does not tell logins apart.
            PasswordHasher().verify(
                doctor.password_hash if doctor and doctor.password_hash else _DUMMY_HASH, password
            )
            if doctor is None:
                raise VerifyMismatchError()
        except (VerifyMismatchError, VerificationError, InvalidHashError) as exc:
            await self._count_failure(login)
            raise SignInRefused("wrong_password", "wrong login or password") from exc
        async with self._session() as s, s.begin():
            await s.execute(delete(LoginFailure).where(LoginFailure.login == login))
        if doctor.totp_secret:
            if not code:
                raise SignInRefused("code_required", "enter the code from your authenticator")
            if not pyotp.TOTP(doctor.totp_secret).verify(code, valid_window=1):
                raise SignInRefused("wrong_code", "wrong authenticator code")
        return await self.open_session(Role(doctor.role), doctor.id)

    async def _refuse_if_locked(self, login: str) -> None:
        async with self._session() as s:
            row = await s.get(LoginFailure, login)
        if row is not None and row.locked_until is not None and aware(row.locked_until) > clock():
            raise _locked()

    async def _count_failure(self, login: str) -> None:
        """One more wrong password, counted atomically (parallel guesses all count); the
        one that reaches the limit locks the login and is told so."""
        insert = postgresql_insert if self._dialect == "postgresql" else sqlite_insert
        statement = insert(LoginFailure).values(login=login, failures=1, locked_until=None)
        counted = statement.on_conflict_do_update(
            index_elements=[LoginFailure.login], set_={"failures": LoginFailure.failures + 1}
        ).returning(LoginFailure.failures)
        async with self._session() as s, s.begin():
            failures = (await s.execute(counted)).scalar_one()
            if failures < PASSWORD_FAILURES:
                return
            await s.execute(
                update(LoginFailure)
                .where(LoginFailure.login == login)
                .values(failures=0, locked_until=clock() + LOCKOUT)
            )
        raise _locked()

    async def open_session(self, role: Role, principal_id: str) -> str:
        """A session for someone already proven (the doctor's key, an operator's tool)."""
        token, now = secrets.token_urlsafe(32), clock()
        async with self._session() as s, s.begin():
            s.add(
                SessionRow(
                    token_hash=_hash(token),
                    role=role.value,
                    principal_id=principal_id,
                    created_at=now,
                    expires_at=now + self.session_ttl,
                )
            )
        return token

    async def principal(self, token: str) -> Principal | None:
        """Who a live session belongs to; None for unknown, expired or signed-out ones."""
        live = await self.session(token)
        return live.principal if live else None

    async def session(self, token: str) -> LiveSession | None:
        """The live session of `token` with its hash and end; None when there is none."""
        if not token or len(token) > 200:
            return None
        async with self._session() as s:
            row = await s.get(SessionRow, _hash(token))
            if row is None or row.revoked_at is not None or aware(row.expires_at) <= clock():
                return None
            person: Patient | Doctor | None = (
                await s.get(Patient, row.principal_id)
                if row.role == Role.PATIENT.value
                else await s.get(Doctor, row.principal_id)
            )
        if person is None:
            return None
        return LiveSession(
            Principal(Role(row.role), row.principal_id, person.full_name),
            row.token_hash,
            aware(row.expires_at),
        )

    async def is_live(self, token_hash: str) -> bool:
        """Whether the session with this hash is neither signed out nor expired."""
        async with self._session() as s:
            row = await s.get(SessionRow, token_hash)
        return row is not None and row.revoked_at is None and aware(row.expires_at) > clock()

    async def sign_out(self, token: str) -> str | None:
        """Revokes the session; its hash (for closing its sockets), or None if none was live."""
        token_hash = _hash(token)
        async with self._session() as s, s.begin():
            revoked = await s.execute(
                update(SessionRow)
                .where(SessionRow.token_hash == token_hash)
                .where(SessionRow.revoked_at.is_(None))
                .values(revoked_at=clock())
            )
        return token_hash if revoked.rowcount == 1 else None  # type: ignore[attr-defined]
