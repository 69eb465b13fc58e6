"""Sending SMS: one interface; an HTTP implementation for an operator's API and a
development one that only records the message. Every message is recorded either way."""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from clinic.db import sessionmaker
from clinic.tables import SmsMessage
from clinic.time import now

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    async def send(self, phone: str, text: str, purpose: str) -> str:
        """Sends (or queues) the message and returns its id; raises SmsFailed."""
        ...


class SmsFailed(Exception):
    pass


class _Recorder:
    def __init__(self, engine: AsyncEngine) -> None:
        self._session = sessionmaker(engine)

    async def record(self, phone: str, text: str, purpose: str, status: str) -> str:
        message_id = str(uuid.uuid4())
        async with self._session() as s, s.begin():
            s.add(SmsMessage(id=message_id, phone=phone, text=text, purpose=purpose,
                             status=status, created_at=now()))
        return message_id


class DevelopmentSms(_Recorder):
    """Sends nothing: the message waits in `sms_messages`, and the server's log shows it so
    that whoever runs the embedded platform can type the code. Never for production."""

    async def send(self, phone: str, text: str, purpose: str) -> str:
        log.warning("development_sms to=%s text=%r (set TELEMED_SMS_URL to send real SMS)",
                    phone, text)
        return await self.record(phone, text, purpose, "development")


class HttpSms(_Recorder):
    """POSTs `{"to", "text"}` as JSON to an SMS operator's endpoint."""

    def __init__(self, engine: AsyncEngine, url: str, token: str | None) -> None:
        super().__init__(engine)
        self._url, self._token = url, token

    async def send(self, phone: str, text: str, purpose: str) -> str:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as http, \
                    http.post(self._url, json={"to": phone, "text": text},
                              headers=headers) as response:
                ok = response.status < 300
        except (aiohttp.ClientError, TimeoutError) as exc:
            await self.record(phone, text, purpose, "failed")
            raise SmsFailed(f"SMS operator unreachable: {exc}") from exc
        await self.record(phone, text, purpose, "sent" if ok else "failed")
        if not ok:
            raise SmsFailed(f"SMS operator answered {response.status}")
        return phone
