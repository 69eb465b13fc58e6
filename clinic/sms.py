"""SMS: one transport interface, an HTTP implementation for an operator's API and a
development one that sends nothing; templates in Russian and English; and the dispatcher
that delivers queued messages from the outbox, retried, each sent once.

Sign-in codes are sent while the patient waits (`send_now`): a code that cannot leave is
an error shown at once, not a retry minutes later. Everything else (renewals, bookings,
consilium notices) is queued in the transaction of the action that caused it.
"""

from __future__ import annotations

import json
import logging
import re
from collections import deque
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import aiohttp

from clinic.dispatcher import Dispatcher
from clinic.domain import Principal, Role
from clinic.records import Records

log = logging.getLogger(__name__)


class SmsTemplate(StrEnum):
    """The messages the platform sends; their words, per language, are in
    sms_templates.json (tests/test_sms_templates.py holds the two in step)."""

    OTP = "otp"
    INVITATION = "invitation"
    PRESCRIPTION_RENEWED = "prescription_renewed"
    APPOINTMENT_BOOKED = "appointment_booked"
    APPOINTMENT_MOVED = "appointment_moved"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    CONSILIUM_DECISION = "consilium_decision"


TEMPLATES: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).with_name("sms_templates.json")).read_text(encoding="utf-8")
)
SYSTEM = Principal(Role.OPERATOR, "sms-dispatcher", "SMS dispatcher")


def without_link_secret(text: str) -> str:
    """A message's text with each patient link's token left out (`/join/…`)."""
    return re.sub(r"/join/[\w-]+", "/join/…", text)


def render_sms(template: SmsTemplate, language: str, **values: str) -> str:
    """The template in the patient's language (English when there is none)."""
    return TEMPLATES.get(language, TEMPLATES["en"])[template].format(**values)


class SmsFailed(Exception):
    pass


class SmsTransport(Protocol):
    # What a message's status becomes once the transport took it.
    accepted_status: str

    async def deliver(self, message_id: str, phone: str, text: str) -> str:
        """Hands the message over and returns the operator's reference; raises SmsFailed."""
        ...


class DevelopmentSms:
    """Sends nothing: the server's log prints the message, so whoever runs the embedded
    platform can read the code, and `sent` keeps the last ones "sent" (in memory only: a
    sign-in code is never stored readable)."""

    accepted_status = "development"

    def __init__(self) -> None:
        self.sent: deque[tuple[str, str]] = deque(maxlen=100)  # (phone, text)

    async def deliver(self, message_id: str, phone: str, text: str) -> str:
        # A sign-in code is shown (whoever runs it types it in); a link is not: logs travel
        # further than a terminal, and `telemed invite` prints the link to whoever asked.
        log.warning(
            "development_sms to=%s text=%r (set TELEMED_SMS_URL to send real SMS)",
            phone,
            without_link_secret(text),
        )
        self.sent.append((phone, text))
        return f"development:{message_id}"


class HttpSms:
    """POSTs `{"id", "to", "text", "callback_url"}` as JSON to an SMS operator's endpoint.

    `id` is ours and the same on every retry, so an operator that deduplicates by it never
    sends one message twice even when its answer to the first try was lost. Delivery reports
    come back to `callback_url`.
    """

    accepted_status = "sent"

    def __init__(self, url: str, token: str | None, callback_url: str | None = None) -> None:
        self._url, self._token, self._callback = url, token, callback_url

    async def deliver(self, message_id: str, phone: str, text: str) -> str:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        body = {"id": message_id, "to": phone, "text": text}
        if self._callback:
            body["callback_url"] = self._callback
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http,
                http.post(self._url, json=body, headers=headers) as response,
            ):
                if response.status >= 300:
                    raise SmsFailed(f"SMS operator answered {response.status}")
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SmsFailed(f"SMS operator unreachable: {exc}") from exc
        reference = answer.get("id") if isinstance(answer, dict) else None
        return str(reference or message_id)


class Messenger(Dispatcher):
    """Sends and queues SMS for the platform, and delivers the queued ones."""

    def __init__(
        self,
        records: Records,
        transport: SmsTransport,
        retry_base_s: float = 5.0,
        retry_max_s: float = 600.0,
        max_attempts: int = 20,
        poll_s: float = 5.0,
    ) -> None:
        self._records = records
        self._transport = transport
        self._retry_base, self._retry_max = retry_base_s, retry_max_s
        self._max_attempts = max_attempts
        super().__init__(poll_s)

    @property
    def transport(self) -> SmsTransport:
        return self._transport

    async def send_now(
        self,
        phone: str,
        text: str,
        purpose: str,
        patient_id: str | None,
        key: str,
        *,
        stored_text: str | None = None,
    ) -> str:
        """Records the message and sends it at once; raises SmsFailed (and it is not retried).

        `stored_text` is what the record keeps instead of `text` (a sign-in code masked:
        with the code and the link, whoever reads the table could sign in as the patient).
        Nothing retries these, so the readable text is needed only this once.
        """
        message_id = await self._records.queue_sms(
            phone=phone, text=stored_text or text, purpose=purpose, patient_id=patient_id, key=key
        )
        if message_id is None:
            raise SmsFailed("this message was already sent")
        await self._attempt(message_id, phone, text, purpose, patient_id, attempts=None)
        message = await self._records.sms(message_id)
        if message is None or message.status in ("pending", "failed"):
            raise SmsFailed(
                message.last_error
                if message and message.last_error
                else "the SMS could not be sent"
            )
        return message_id

    async def next_due(self) -> datetime | None:
        return await self._records.next_sms_due()

    async def deliver_due(self) -> int:
        """One pass over due messages; returns how many the transport took."""
        sent = 0
        for message in await self._records.claim_sms(lease_s=60):
            if self.stopping:  # the rest wait out their lease for the next node
                break
            sent += await self._attempt(
                message.id,
                message.phone,
                message.text,
                message.purpose,
                message.patient_id,
                message.attempts,
            )
        return sent

    async def _attempt(
        self,
        message_id: str,
        phone: str,
        text: str,
        purpose: str,
        patient_id: str | None,
        attempts: int | None,
    ) -> int:
        """One delivery attempt; `attempts` None means no retry (sign-in codes)."""
        try:
            reference = await self._transport.deliver(message_id, phone, text)
        except SmsFailed as exc:
            retry: float | None = None
            if attempts is not None and attempts + 1 < self._max_attempts:
                retry = min(self._retry_max, self._retry_base * 2**attempts)
            await self._records.sms_failed(message_id, str(exc), retry)
            await self._records.audit(
                SYSTEM,
                "sms.send",
                patient_id=patient_id,
                object_id=message_id,
                outcome="failed",
                detail=f"{purpose}: {exc}"[:500],
            )
            log.warning("sms_failed purpose=%s retry_in_s=%s", purpose, retry)
            return 0
        await self._records.sms_sent(message_id, self._transport.accepted_status, reference)
        await self._records.audit(
            SYSTEM, "sms.send", patient_id=patient_id, object_id=message_id, detail=purpose
        )
        return 1
