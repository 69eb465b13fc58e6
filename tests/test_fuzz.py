"""Random and malformed payloads at every socket.io event and HTTP route (hypothesis).

The server must answer each with a clear error (or a valid result), keep serving, and
write nothing it should not.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.domain import Reason, Role
from clinic.messages.socket import CLIENT_EVENTS
from harness.client import Party
from harness.servers import free_port
from tests.conftest import make_settings
from transcription.models import ModelPool
from web.app import create_app
from web.openapi import HTTP_BODIES
from web.platform import PLATFORM

EVENTS = [
    "queue.join",
    "queue.list",
    "consultation.take",
    "offer",
    "answer",
    "ice",
    "hangup",
    "no.such.event",
    "connect",
    "disconnect",
    "message",
]
ERROR_CODES = {
    "bad_payload",
    "too_large",
    "unknown_event",
    "forbidden",
    "not_found",
    "not_active",
    "busy",
    "bad_sdp",
    "bad_ice",
    "rate_limited",
}

# What a hostile client sends beyond random JSON: lone surrogates, numbers no float holds,
# nesting past any stack, and values of the wrong type for every field a schema names.
SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udc00b"])
HUGE = st.sampled_from([float("inf"), float("-inf"), 10**400, -(10**400)])
FIELDS = sorted(
    {name for model in CLIENT_EVENTS.values() for name in model.model_fields}
    | {name for model in HTTP_BODIES for name in model.model_fields}
)


def nested(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = [value]
    return value


hostile_values: st.SearchStrategy[Any] = st.one_of(
    SURROGATES,
    HUGE,
    st.integers(1, 900).map(nested),
    st.sampled_from(["21", 5, True, None, [], {}, 1.5, "x" * 300]),
)
hostile_objects = st.dictionaries(st.sampled_from(FIELDS), hostile_values, max_size=4)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
payloads = (
    json_values
    | hostile_values
    | hostile_objects
    | st.fixed_dictionaries(
        {},
        optional={
            "consultation_id": st.text(max_size=40) | st.integers(),
            "target": st.sampled_from(["worker", "peer", "", "other"]) | st.integers(),
            "sdp": st.text(max_size=300) | st.just("v=0\r\n"),
            "type": st.sampled_from(["offer", "answer", "rollback"]),
            "candidate": json_values,
            "reason": st.text(max_size=20) | st.sampled_from([r.value for r in Reason]),
            "mode": st.sampled_from(["audio", "video", "smoke"]),
        },
    )
)


class Running:
    """The platform and two connected parties on an event loop in another thread, so that
    hypothesis (which runs plain functions) can drive them."""

    def __init__(self, data_dir: Path, pool: ModelPool) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        # A budget no fuzz run exhausts: this drives the handlers; the limiter has its own tests
        # (test_hostile_sockets), and hypothesis on an idle machine outruns 20 messages a second.
        self.settings = make_settings(
            data_dir, TELEMED_SOCKET_BURST="100000", TELEMED_SOCKET_MESSAGES_PER_S="100000"
        )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.run(self._start(pool))

    def run(self, coroutine: Any, timeout: float = 30) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    async def _start(self, pool: ModelPool) -> None:
        self.app = create_app(self.settings, models=pool)
        self.runner = web.AppRunner(self.app, shutdown_timeout=1)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        records = self.app[PLATFORM].records
        patient = await records.add_patient("Fuzz", "+70000000000")
        await records.invite(patient.id, Reason.RESPIRATORY, 3600)
        self.token = await self.app[PLATFORM].sign_in.open_session(Role.PATIENT, patient.id)
        _, self.key = await records.add_doctor("Fuzz Doctor", "therapist")
        self.patient = Party(self.url, {"session": self.token})
        self.doctor = Party(self.url, {"role": "doctor", "key": self.key})
        await self.patient.connect()
        await self.doctor.connect()

    async def _stop(self) -> None:
        await self.patient.close()
        await self.doctor.close()
        await self.runner.cleanup()

    def close(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, model_pool: ModelPool) -> Iterator[Running]:
    platform = Running(tmp_path_factory.mktemp("fuzz"), model_pool)
    yield platform
    platform.close()


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(event=st.sampled_from(EVENTS), payload=payloads, as_doctor=st.booleans())
def test_every_event_answers_bad_input_clearly(
    running: Running, event: str, payload: Any, as_doctor: bool
) -> None:
    party = running.doctor if as_doctor else running.patient
    if event in ("connect", "disconnect", "message"):
        running.run(party.sio.emit(event, payload))
    elif event == "no.such.event":
        reply = running.run(party.call(event, payload))
        assert reply["ok"] is False and reply["code"] in ("unknown_event", "rate_limited")
    else:
        reply = running.run(party.call(event, payload))
        assert isinstance(reply, dict) and "ok" in reply, reply
        if not reply["ok"]:
            assert reply["code"] in ERROR_CODES and reply["message"]
    # Whatever came before, the server goes on serving both parties.
    served = running.run(running.doctor.call("queue.list"))
    assert served["ok"] is True, served
    assert running.patient.sio.connected and running.doctor.sio.connected


ROUTES = [
    ("GET", "api/consultations/{x}/protocol"),
    ("PUT", "api/consultations/{x}/protocol"),
    ("GET", "api/patients/{x}/protocols"),
    ("GET", "api/patients/{x}/audit"),
    ("POST", "api/join/{x}/otp"),
    ("POST", "api/join/{x}/session"),
    ("GET", "api/me"),
    ("POST", "api/sign-out"),
    ("GET", "readyz"),
    ("GET", "metrics"),
    ("GET", "join/{x}"),
    ("GET", "console"),
    ("GET", "healthz"),
    ("GET", "office"),
    ("GET", "api/consultations/{x}/actions"),
    ("POST", "api/consultations/{x}/appointment"),
    ("GET", "api/patients/{x}/prescriptions"),
    ("GET", "api/patients/{x}/appointments"),
    ("DELETE", "api/patients/{x}/appointments/{x}"),
    ("POST", "api/patients/{x}/appointments/{x}/move"),
    ("GET", "api/patients/{x}/consilium"),
    ("POST", "api/patients/{x}/consilium"),
    ("GET", "api/centre/patients"),
    ("GET", "api/centre/consilium"),
    ("GET", "api/sms"),
    ("GET", "api/organisations"),
    ("GET", "api/organisations/{x}/slots"),
    ("POST", "api/organisations/{x}/slots"),
    ("POST", "api/sms/delivery-reports"),
    ("GET", "api/patients/{x}/checkins"),
    ("POST", "api/patients/{x}/checkins"),
    ("PUT", "api/patients/{x}/chemotherapy"),
    ("GET", "api/checkins/reviews"),
    ("POST", "api/checkins/{x}/review"),
]


def json_text(value: Any) -> bytes:
    """JSON as a hostile client writes it: lone surrogates escaped, 1e999 for infinity."""
    text = json.dumps(value, allow_nan=True)
    return text.replace("-Infinity", "-1e999").replace("Infinity", "1e999").encode()


hostile_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: str(v).encode()),
    json_values.map(json_text),
    hostile_objects.map(json_text),
    st.integers(1, 100_000).map(lambda n: b"[" * n + b"]" * n),
    st.fixed_dictionaries({"based_on_version": hostile_values, "data": hostile_objects}).map(
        json_text
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    route=st.sampled_from(ROUTES),
    segment=st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#%"),
        min_size=1,
        max_size=40,
    ),
    body=hostile_bodies,
    auth=st.sampled_from(["none", "patient", "doctor", "garbage", "basic"]),
    content_type=st.sampled_from(["application/json", "text/plain", None]),
)
def test_every_route_answers_bad_input_clearly(
    running: Running,
    route: tuple[str, str],
    segment: str,
    body: bytes,
    auth: str,
    content_type: str | None,
) -> None:
    method, path = route
    headers = {
        "none": {},
        "garbage": {"Authorization": "Bearer " + "x" * 400},
        "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
        "patient": {"Authorization": f"Bearer {running.token}"},
        "doctor": {"Authorization": f"Bearer {running.key}"},
    }[auth]
    if content_type is not None:
        headers = {**headers, "Content-Type": content_type}

    async def send() -> tuple[int, str, dict[str, str]]:
        async with (
            aiohttp.ClientSession() as http,
            http.request(
                method, running.url + path.format(x=segment), data=body, headers=headers
            ) as response,
        ):
            return response.status, await response.text(), dict(response.headers)

    status, text, response_headers = running.run(send())
    assert status < 500, (status, text)
    assert "Content-Security-Policy" in response_headers
    if path.startswith("api/") and status >= 400:
        assert '"error"' in text
    if method == "PUT":  # nothing is signed from noise
        assert status in (400, 401, 403, 404, 409, 415, 422)
    if method in ("POST", "PUT") and content_type != "application/json" and path.startswith("api/"):
        assert status == 415  # JSON only, before anything else is looked at
    if path.endswith("/session"):  # nor does noise open a session
        assert status != 200
