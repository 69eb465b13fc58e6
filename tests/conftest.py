from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import BrowserContext, Page, ViewportSize, async_playwright
from pytest_aiohttp import AiohttpServer

from clinic.domain import Reason, Role
from clinic.records import Records
from clinic.settings import Settings
from clinic.sign_in import SignIn
from harness.servers import postgres
from tests.chromium import CHROMIUM, browser_server, flags
from tests.speech import PHRASES, speak
from transcription.models import ModelPool
from web.app import create_app
from web.platform import PLATFORM


def pytest_configure(config: pytest.Config) -> None:
    # Servers the tests start as processes inherit this: one warm recogniser each rather
    # than the default (up to eight per core, seconds of CPU each to warm), which would fill
    # the machine while the suite runs. One still warms and serves a side; the pool's bound
    # and reuse are tested in-process (`model_pool`, tests/test_recognizer_pool.py).
    os.environ.setdefault("TELEMED_RECOGNISER_POOL", "1")


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("speech")
    for name, text in PHRASES.items():
        speak(text, directory / f"{name}.wav")
    return directory


def sample(exposition: str, name: str) -> float:
    """The value of one Prometheus sample (name and labels as exposed) in `exposition`."""
    for line in exposition.splitlines():
        if line.rsplit(" ", 1)[0] == name:
            return float(line.rsplit(" ", 1)[1])
    raise KeyError(f"{name} is not in the exposition")


def make_settings(data_dir: Path, **env: str) -> Settings:
    return Settings.from_env({"TELEMED_DATA_DIR": str(data_dir), **env})


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throwaway PostgreSQL server per test session; tests make their own databases."""
    with postgres() as url:
        yield url


@pytest.fixture(scope="session")
def model_pool(tmp_path_factory: pytest.TempPathFactory) -> ModelPool:
    """The speech model loads once per test session and is shared by every server, with two
    warm recognisers: enough to test the pool, little to warm."""
    pool = ModelPool(make_settings(tmp_path_factory.mktemp("models"), TELEMED_RECOGNISER_POOL="2"))
    pool.for_language("ru")
    return pool


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@dataclass
class Platform:
    server: TestServer
    records: Records
    settings: Settings

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

    async def patient(
        self,
        name: str = "Анна Иванова",
        polyclinic_id: str | None = None,
        oncology_centre_id: str | None = None,
    ) -> tuple[str, str]:
        """An invited patient who has signed in: their id and session token."""
        patient = await self.records.add_patient(
            name,
            "+79990000000",
            polyclinic_id=polyclinic_id,
            oncology_centre_id=oncology_centre_id,
        )
        await self.records.invite(patient.id, Reason.RESPIRATORY, self.settings.invitation_ttl_s)
        return patient.id, await self.sign_in.open_session(Role.PATIENT, patient.id)

    async def invited(self, name: str = "Анна Иванова") -> tuple[str, str]:
        """An invited patient who has not signed in yet: their id and link token."""
        patient = await self.records.add_patient(name, "+79990000000")
        token = await self.records.invite(
            patient.id, Reason.RESPIRATORY, self.settings.invitation_ttl_s
        )
        return patient.id, token

    @property
    def sign_in(self) -> SignIn:
        return self.server.app[PLATFORM].sign_in

    async def doctor(
        self,
        name: str = "Ирина Петровна",
        login: str | None = None,
        password: str | None = None,
        totp_secret: str | None = None,
        role: Role = Role.DOCTOR,
        specialty: str = "therapist",
        organisation_id: str | None = None,
    ) -> tuple[str, str]:
        """A staff account (a doctor unless told): id and access key, and a console login."""
        doctor, key = await self.records.add_doctor(
            name, specialty, login, password, totp_secret, role, organisation_id
        )
        return doctor.id, key


@pytest.fixture
async def platform(
    aiohttp_server: AiohttpServer,
    settings: Settings,
    model_pool: ModelPool,
) -> AsyncIterator[Platform]:
    app = create_app(settings, models=model_pool)
    server = await aiohttp_server(app, host="127.0.0.1")
    yield Platform(server, app[PLATFORM].records, settings)


# A page for a party: its name, the file its fake microphone plays (None: a tone), whether it
# may use the microphone, and the window's size (a phone's unless told).
OpenPage = Callable[..., Awaitable[Page]]


@pytest.fixture(scope="session")
def chromium() -> Iterator[str]:
    """The session's Chromium (tests/chromium.py): its Playwright endpoint."""
    with browser_server() as endpoint:
        yield endpoint


@pytest.fixture
async def browser(tmp_path: Path, chromium: str) -> AsyncIterator[OpenPage]:
    """Opens pages in a real headless Chromium with fake devices, each in a context of its
    own, all closed after the test."""
    async with async_playwright() as playwright:
        shared = await playwright.chromium.connect(chromium)
        contexts: list[BrowserContext] = []

        async def open_context(
            name: str,
            wav: Path | None,
            *,
            allow_media: bool = True,
            viewport: tuple[int, int] = (360, 740),
        ) -> Page:
            size = ViewportSize(width=viewport[0], height=viewport[1])
            if wav is None and allow_media:
                context = await shared.new_context(viewport=size)
            else:
                # What the microphone plays, or that there is none, is the browser's flag,
                # not a context's: a Chromium of its own.
                context = await playwright.chromium.launch_persistent_context(
                    str(tmp_path / f"profile-{name}"),
                    executable_path=CHROMIUM,
                    headless=True,
                    args=flags(wav, allow_media=allow_media),
                    viewport=size,
                )
            contexts.append(context)
            return context.pages[0] if context.pages else await context.new_page()

        try:
            yield open_context
        finally:
            for context in contexts:
                await context.close()
            await shared.close()
