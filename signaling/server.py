"""The socket.io event handlers. Every event and payload is documented in docs/signaling.md."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any

import socketio

from clinic import rooms
from clinic.access import is_party
from clinic.domain import ConsultationStatus, Principal, Reason, Role, Speaker
from clinic.messages.base import BadPayload, Message, parse
from clinic.messages.socket import (
    CLIENT_EVENTS,
    Answer,
    ConnectAuth,
    Hangup,
    Ice,
    JoinQueue,
    Offer,
    Take,
)
from clinic.records import Records
from clinic.settings import Settings
from clinic.sign_in import SESSION_COOKIE, LiveSession, SignIn
from clinic.store.queue import DoctorBusy
from clinic.tables import Consultation
from clinic.time import age, now
from media.gateway import MediaGateway, SideEnded
from signaling.budget import MessageBudget
from signaling.captions import CaptionSink
from signaling.live_draft import LiveDraft
from signaling.messages import BadMessage
from signaling.packets import UNREADABLE, TolerantPacket
from signaling.ports import ProtocolDrafter
from signaling.session_watch import SessionWatch
from signaling.turn import turn_credentials

log = logging.getLogger(__name__)

Handler = Callable[[str, Principal, Any], Awaitable[dict[str, Any]]]


def create_sio(settings: Settings) -> socketio.AsyncServer:
    manager = socketio.AsyncRedisManager(settings.redis_url) if settings.redis_url else None
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        serializer=TolerantPacket,
        # engine.io drops a connection that sends more than this; handlers answer
        # smaller-but-still-too-large payloads with an error event instead.
        max_http_buffer_size=max(settings.max_message_bytes * 4, 256 * 1024),
        # None: engine.io accepts browsers only from the origin the pages are served from.
        cors_allowed_origins=None,
    )


class SignalingServer:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        settings: Settings,
        records: Records,
        media: MediaGateway,
        protocols: ProtocolDrafter,
        captions: CaptionSink,
        sign_in: SignIn,
        watch: SessionWatch,
    ) -> None:
        self.sio = sio
        self._watch = watch
        self._sign_in = sign_in
        self._settings = settings
        self._records = records
        self._media = media
        self._protocols = protocols
        self._captions = captions
        self.draining = False
        sio.on("connect", self._on_connect)
        sio.on("disconnect", self._on_disconnect)
        self._budget = MessageBudget(settings.socket_burst, settings.socket_messages_per_s)
        handlers: dict[str, Handler] = {
            "queue.join": self._join_queue,
            "queue.list": self._list_queue,
            "consultation.take": self._take,
            "offer": self._offer,
            "answer": self._answer,
            "ice": self._ice,
            "hangup": self._hangup,
        }
        assert handlers.keys() == CLIENT_EVENTS.keys(), "every event has one schema"
        for event, handler in handlers.items():
            sio.on(event, self._guarded(event, handler, CLIENT_EVENTS[event]))
        sio.on("*", self._unknown)

    # --- connection ---------------------------------------------------------

    async def _on_connect(
        self, sid: str, environ: Any = None, auth: Any = None
    ) -> dict[str, Any] | None:
        if (await self.sio.get_session(sid)).get("principal") is not None:
            # python-socketio dispatches a client's event named "connect" here too, with
            # whatever arguments the client sent (none, so `environ` has a default): a
            # connected client must not re-run authentication through it.
            return await self._refuse(sid, "connect", BadMessage("unknown_event", "no such event"))
        principal, live = await self._authenticate(auth, environ)
        source = environ.get("REMOTE_ADDR") if isinstance(environ, dict) else None
        if principal is None:
            await self._records.audit(None, "signaling.connect", outcome="refused", source=source)
            # The message is the code: the pages match on it to say "this link is invalid".
            raise socketio.exceptions.ConnectionRefusedError("unauthorized")
        await self.sio.save_session(
            sid,
            {
                "principal": principal,
                "source": source,
                "session": live.token_hash if live else None,
            },
        )
        if live is not None:  # an access key has no session to end; a session does
            self._watch.track(sid, live.token_hash, live.expires_at)
        await self.sio.enter_room(sid, rooms.person(principal.role, principal.id))
        if principal.role is Role.DOCTOR:
            await self.sio.enter_room(sid, rooms.DOCTORS)
        log.info("connected role=%s", principal.role.value)
        if principal.role is Role.PATIENT:
            await self._drop_away()  # back too late: the place is gone, not restored
            if await self._records.patient_back(principal.id):
                await self._broadcast_queue()
        await self._resume(sid, principal)
        return None  # a real connection: accepted

    async def _authenticate(
        self, auth: Any, environ: Any
    ) -> tuple[Principal | None, LiveSession | None]:
        """The browser's session cookie, a session token, or a doctor's access key."""
        try:
            given = parse(ConnectAuth, json.dumps(auth if auth is not None else {}))
        except (BadPayload, RecursionError, ValueError, TypeError):
            return None, None
        session = given.session or _cookie(environ, SESSION_COOKIE)
        if session:
            live = await self._sign_in.session(session)
            return (live.principal, live) if live else (None, None)
        if given.key:
            return await self._records.doctor_by_key(given.key), None
        return None, None

    async def _resume(self, sid: str, principal: Principal) -> None:
        """A reconnecting party finds their queue place or their call where they left it."""
        if principal.role is Role.PATIENT:
            consultation = await self._records.open_consultation_of(principal.id)
        else:
            consultation = await self._records.active_consultation_of_doctor(principal.id)
        if consultation is None:
            return
        if consultation.status == ConsultationStatus.WAITING.value:
            await self.sio.emit("queue.joined", await self._queue_place(consultation), to=sid)
            return
        resumed = await self._started_payload(consultation, principal)
        if principal.role is Role.DOCTOR:
            # A reloaded console shows the captions so far: they are stored as they come.
            resumed["captions"] = [
                {"speaker": s.speaker.value, "text": s.text, "start": s.start, "end": s.end}
                for s in await self._records.segments(consultation.id)
            ]
        await self.sio.emit("consultation.resumed", resumed, to=sid)
        if resumed.get("captions"):  # and the draft and suggestions as they had filled in
            live = await LiveDraft(self._records).after(consultation.id)
            if live is not None:
                if live.suggestions is not None:
                    await self.sio.emit("suggestions", live.suggestions, to=sid)
                await self.sio.emit("draft.live", live.draft, to=sid)
        # The other browser must renegotiate the call between the two of them.
        await self.sio.emit(
            "peer.rejoined",
            {"consultation_id": consultation.id, "role": principal.role.value},
            room=self._other_party(principal, consultation),
        )

    async def _on_disconnect(self, sid: str, *args: Any) -> None:
        # Nothing is torn down: the queue place and the consultation wait for a rejoin,
        # and the media worker notices a dead connection on its own.
        session = await self.sio.get_session(sid)
        self._watch.forget(sid, session.get("session"))
        self._budget.forget(sid)
        log.info("disconnected sid=%s", sid)
        who = session.get("principal")
        if who is not None and who.role is Role.PATIENT:
            await self._patient_left(sid, who)

    async def _patient_left(self, sid: str, patient: Principal) -> None:
        """The patient's last open page closed: their waiting place is marked away.

        Pages of this node only: a patient with pages on two nodes at once counts as away
        when the one closing is theirs here (a phone holds one page, on one node).
        """
        room = rooms.person(Role.PATIENT, patient.id)
        if any(other != sid for other, _ in self.sio.manager.get_participants("/", room)):
            return
        if await self._records.patient_away(patient.id):
            await self._broadcast_queue()

    # --- dispatch -----------------------------------------------------------

    def _guarded(
        self, event: str, handler: Handler, schema: type[Message]
    ) -> Callable[..., Awaitable[dict[str, Any]]]:
        async def run(sid: str, *args: Any) -> dict[str, Any]:
            try:
                session = await self._checked(sid)
                message = self._read(schema, args)
                return await handler(sid, session["principal"], message)
            except BadMessage as exc:
                return await self._refuse(sid, event, exc)

        return run

    async def _checked(self, sid: str) -> dict[str, Any]:
        """The socket's session, if it may send a message now."""
        if not self._budget.allow(sid):
            raise BadMessage("rate_limited", "too many messages; slow down")
        session: dict[str, Any] = await self.sio.get_session(sid)
        if session.get("session") and not await self._sign_in.is_live(session["session"]):
            # Signed out or expired, and the close has not reached this node yet.
            self._watch.close_after_reply(sid, "signed_out")
            raise BadMessage("unauthorized", "the session has ended; sign in again")
        return session

    def _read(self, schema: type[Message], args: tuple[Any, ...]) -> Message:
        """The one payload of an event, read by its schema. Re-encoding what socket.io
        decoded lets the schema read JSON text: the same strict reading as HTTP bodies."""
        if len(args) > 1:
            raise BadMessage("bad_payload", "one JSON object is expected")
        try:
            raw = json.dumps(args[0]) if args else "{}"
        except (RecursionError, ValueError, TypeError):
            raise BadMessage("bad_payload", "the payload is not readable JSON") from None
        if len(raw) > self._settings.max_message_bytes:
            raise BadMessage("too_large", f"payload over {self._settings.max_message_bytes} bytes")
        try:
            return parse(schema, raw)
        except BadPayload as exc:
            raise BadMessage("bad_payload", exc.message) from None

    async def _refuse(self, sid: str, event: str, exc: BadMessage) -> dict[str, Any]:
        await self.sio.emit(
            "error", {"event": event[:64], "code": exc.code, "message": exc.message}, to=sid
        )
        return {"ok": False, "code": exc.code, "message": exc.message}

    async def _unknown(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        try:
            await self._checked(sid)
            if event == UNREADABLE:  # socket.io could not decode it (signaling/packets.py)
                raise BadMessage("bad_payload", "the payload is not readable JSON")
            raise BadMessage("unknown_event", "no such event")
        except BadMessage as exc:
            return await self._refuse(sid, "?" if event == UNREADABLE else event, exc)

    async def _audit(self, sid: str, who: Principal | None, action: str, **fields: Any) -> None:
        """An audit entry for something a socket did, with the address it came from."""
        session = await self.sio.get_session(sid)
        await self._records.audit(who, action, source=session.get("source"), **fields)

    # --- queue --------------------------------------------------------------

    async def _join_queue(self, sid: str, who: Principal, message: Any) -> dict[str, Any]:
        assert isinstance(message, JoinQueue)
        _require(who, Role.PATIENT)
        # Urgency is the platform's judgement, never the caller's: a high-risk check-in no
        # doctor has reviewed yet puts the patient ahead of routine places.
        urgent = await self._records.unreviewed_high_risk(who.id) is not None
        reason = Reason.CHEMO_CHECKIN if urgent else message.reason
        if reason is None or (reason is Reason.CHEMO_CHECKIN and not urgent):
            reason = await self._records.invitation_reason(who.id)
        patient = await self._records.patient(who.id)
        language = patient.language if patient else self._settings.default_language
        consultation = await self._records.enqueue(
            who.id, reason, message.mode, language, urgent=urgent
        )
        await self._audit(sid, who, "queue.join", patient_id=who.id, object_id=consultation.id)
        if consultation.status == ConsultationStatus.ACTIVE.value:
            await self._resume(sid, who)
            return {"ok": True, "consultation_id": consultation.id}
        place = await self._queue_place(consultation)
        await self.sio.emit("queue.joined", place, to=sid)
        await self._broadcast_queue()
        return {"ok": True, **place}

    async def _queue_place(self, consultation: Consultation) -> dict[str, Any]:
        waiting = [c.id for c, _ in await self._records.waiting()]
        position = waiting.index(consultation.id) + 1 if consultation.id in waiting else 0
        return {
            "consultation_id": consultation.id,
            "position": position,
            "reason": consultation.reason,
            "mode": consultation.mode,
            "estimated_wait_s": self._estimate(
                position, await self._records.median_consultation_s()
            ),
        }

    def _estimate(self, position: int, median_s: float | None) -> int | None:
        """Position times the median recent consultation, shared among the doctors online.

        None until some consultation has ended: no number is better than an invented one.
        """
        if median_s is None or position == 0:
            return None
        doctors = len(list(self.sio.manager.get_participants("/", rooms.DOCTORS)))
        return round(position * median_s / max(1, doctors))

    async def _list_queue(self, sid: str, who: Principal, message: Any) -> dict[str, Any]:
        _require(who, Role.DOCTOR)
        listing = await self._queue_listing()
        await self.sio.emit("queue.updated", listing, to=sid)
        return {"ok": True, **listing}

    async def _drop_away(self) -> None:
        """Patients away longer than the setting leave the queue."""
        await self._records.drop_away(now() - timedelta(seconds=self._settings.queue_away_s))

    async def _queue_listing(self) -> dict[str, Any]:
        await self._drop_away()
        return {
            "waiting": [
                {
                    "consultation_id": c.id,
                    "patient_name": p.full_name,
                    "reason": c.reason,
                    "urgent": c.priority > 0,
                    "mode": c.mode,
                    "queued_at": c.queued_at.isoformat(),
                    "away_since": c.away_since.isoformat() if c.away_since else None,
                }
                for c, p in await self._records.waiting()
            ]
        }

    async def _broadcast_queue(self) -> None:
        await self.sio.emit("queue.updated", await self._queue_listing(), room=rooms.DOCTORS)
        median_s = await self._records.median_consultation_s()
        for position, (consultation, _) in enumerate(await self._records.waiting(), start=1):
            await self.sio.emit(
                "queue.position",
                {
                    "consultation_id": consultation.id,
                    "position": position,
                    "estimated_wait_s": self._estimate(position, median_s),
                },
                room=rooms.person(Role.PATIENT, consultation.patient_id),
            )

    # --- pairing ------------------------------------------------------------

    async def _take(self, sid: str, who: Principal, message: Any) -> dict[str, Any]:
        assert isinstance(message, Take)
        _require(who, Role.DOCTOR)
        if self.draining:
            # This process is stopping: the patient stays in the shared queue for a doctor
            # connected to another node, or to this one once it is back.
            raise BadMessage("draining", "this server is restarting; try again in a moment")
        if await self._records.active_consultation_of_doctor(who.id) is not None:
            raise BadMessage("busy", "finish the current consultation first")
        try:
            consultation = await self._records.take(who.id, message.consultation_id)
        except DoctorBusy as exc:  # a take on another socket won the same instant
            raise BadMessage("busy", "finish the current consultation first") from exc
        if consultation is None:
            if message.consultation_id is not None:
                named = await self._records.consultation(message.consultation_id)
                if named and named.status == ConsultationStatus.WAITING.value and named.away_since:
                    raise BadMessage("not_present", "the patient is not connected now")
                await self._audit(
                    sid,
                    who,
                    "consultation.take",
                    outcome="refused",
                    object_id=message.consultation_id,
                    detail="not waiting",
                    patient_id=named.patient_id if named else None,
                )
            raise BadMessage("not_found", "no such patient waiting")
        await self._audit(
            sid,
            who,
            "consultation.take",
            patient_id=consultation.patient_id,
            object_id=consultation.id,
        )
        await self._media.begin(consultation)
        patient = Principal(Role.PATIENT, consultation.patient_id, "")
        for party in (who, patient):  # each party gets TURN credentials of their own
            await self.sio.emit(
                "consultation.started",
                await self._started_payload(consultation, party),
                room=rooms.person(party.role, party.id),
            )
        await self._broadcast_queue()
        return {"ok": True, "consultation_id": consultation.id}

    async def _started_payload(self, consultation: Consultation, who: Principal) -> dict[str, Any]:
        ice_servers = list(self._settings.ice_servers)
        if self._settings.turn_urls and self._settings.turn_secret:
            ice_servers.append(
                turn_credentials(
                    self._settings.turn_urls,
                    self._settings.turn_secret,
                    f"{who.role.value}-{who.id}",
                    self._settings.turn_ttl_s,
                )
            )
        patient = await self._records.patient(consultation.patient_id)
        assert consultation.started_at is not None
        return {
            "consultation_id": consultation.id,
            "patient_id": consultation.patient_id,
            "patient_name": patient.full_name if patient else "",
            "patient_age": age(patient.birth_date, self._settings.timezone)
            if patient and patient.birth_date
            else None,
            "started_at": consultation.started_at.isoformat(),
            "reason": consultation.reason,
            "mode": consultation.mode,
            "ice_servers": ice_servers,
        }

    async def _party(self, sid: str, who: Principal, consultation_id: str) -> Consultation:
        """The consultation if `who` is one of its two parties and it is on; else not_found.

        Not-found rather than forbidden: a guessed id must not reveal that it exists.
        """
        consultation = await self._records.consultation(consultation_id)
        if consultation is None or not is_party(who, consultation):
            # The patient's id when the consultation exists: their "who looked at my card"
            # shows the attempt.
            await self._audit(
                sid,
                who,
                "consultation.access",
                object_id=consultation_id,
                outcome="refused",
                detail="not a party",
                patient_id=consultation.patient_id if consultation else None,
            )
            raise BadMessage("not_found", "no such consultation")
        if consultation.status != ConsultationStatus.ACTIVE.value:
            raise BadMessage("not_active", "the consultation is not in progress")
        return consultation

    # --- WebRTC relay -------------------------------------------------------

    async def _offer(self, sid: str, who: Principal, message: Any) -> dict[str, Any]:
        assert isinstance(message, Offer)
        consultation = await self._party(sid, who, message.consultation_id)
        if who.role is Role.PATIENT and consultation.patient_connected_at is None:
            await self._records.patient_connected(consultation.id)
        if message.target == "peer":
            return await self._relay(who, consultation, "offer", message.sdp, message.type)
        assert consultation.started_at is not None
        try:
            answer = await self._media.answer(
                consultation.id,
                Speaker(who.role.value),
                consultation.language,
                consultation.started_at.timestamp(),
                message.sdp,
                message.type,
            )
        except SideEnded as exc:
            raise BadMessage("not_active", "the consultation is already over") from exc
        except ValueError as exc:
            raise BadMessage("bad_sdp", str(exc)) from exc
        if answer is not None:  # else a worker process answers the party itself
            await self.sio.emit(
                "answer",
                {
                    "consultation_id": consultation.id,
                    "from": "worker",
                    "sdp": answer.sdp,
                    "type": answer.type,
                },
                to=sid,
            )
        return {"ok": True}

    async def _answer(self, sid: str, who: Principal, message: Any) -> dict[str, Any]:
        assert isinstance(message, Answer)
        consultation = await self._party(sid, who, message.consultation_id)
        return await self._relay(who, consultation, "answer", message.sdp, message.type)

    async def _ice(self, sid: str, who: Principal, message: Any) -> dict[str, Any]:
        assert isinstance(message, Ice)
        consultation = await self._party(sid, who, message.consultation_id)
        if message.target == "worker":
            try:
                await self._media.add_ice_candidate(
                    consultation.id, Speaker(who.role.value), message.candidate
                )
            except ValueError as exc:
                raise BadMessage("bad_ice", str(exc)) from exc
            return {"ok": True}
        await self.sio.emit(
            "ice",
            {
                "consultation_id": consultation.id,
                "from": who.role.value,
                "candidate": message.candidate,
            },
            room=self._other_party(who, consultation),
        )
        return {"ok": True}

    async def _relay(
        self, who: Principal, consultation: Consultation, event: str, sdp: str, sdp_type: str
    ) -> dict[str, Any]:
        await self.sio.emit(
            event,
            {
                "consultation_id": consultation.id,
                "from": who.role.value,
                "sdp": sdp,
                "type": sdp_type,
            },
            room=self._other_party(who, consultation),
        )
        return {"ok": True}

    @staticmethod
    def _other_party(who: Principal, consultation: Consultation) -> str:
        if who.role is Role.PATIENT:
            return rooms.person(Role.DOCTOR, consultation.doctor_id or "")
        return rooms.person(Role.PATIENT, consultation.patient_id)

    # --- ending -------------------------------------------------------------

    async def _hangup(self, sid: str, who: Principal, message: Any) -> dict[str, Any]:
        assert isinstance(message, Hangup)
        consultation = await self._party(sid, who, message.consultation_id)
        # A call the patient never joined (no offer from their browser, no word of theirs)
        # happened only on the doctor's side: it is cancelled and gets no protocol.
        joined = consultation.patient_connected_at is not None or any(
            s.speaker is Speaker.PATIENT for s in await self._records.segments(consultation.id)
        )
        status = ConsultationStatus.ENDED if joined else ConsultationStatus.CANCELLED
        if not await self._records.finish(consultation.id, status):
            raise BadMessage("not_active", "the consultation is already over")
        room = _parties(consultation)
        await self.sio.emit(
            "consultation.ended",
            {"consultation_id": consultation.id, "by": who.role.value, "draft": joined},
            room=room,
        )
        await self._media.end(consultation.id)  # every segment is stored when this returns
        self._captions.forget(consultation.id)
        await self._audit(
            sid,
            who,
            "consultation.end",
            patient_id=consultation.patient_id,
            object_id=consultation.id,
            detail=None if joined else "patient never connected",
        )
        if not joined:
            return {"ok": True}
        protocol = await self._protocols.draft(consultation.id)
        await self.sio.emit(
            "protocol.ready",
            {
                "consultation_id": consultation.id,
                "protocol_id": protocol.id,
                "version": protocol.version,
                "status": protocol.status,
            },
            room=room,
        )
        return {"ok": True}


def _cookie(environ: Any, name: str) -> str | None:
    if not isinstance(environ, dict):
        return None
    jar = SimpleCookie()
    try:
        jar.load(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _parties(consultation: Consultation) -> list[str]:
    """Both parties' personal rooms: they follow each person across reconnects and nodes."""
    return [
        rooms.person(Role.DOCTOR, consultation.doctor_id or ""),
        rooms.person(Role.PATIENT, consultation.patient_id),
    ]


def _require(who: Principal, role: Role) -> None:
    if who.role is not role:
        raise BadMessage("forbidden", f"only a {role.value} may do this")
