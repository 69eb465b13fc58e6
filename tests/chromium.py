"""One headless Chromium (Debian's, with fake devices) for the whole test session, served by
Playwright's browser server; each test opens its own contexts on it, as isolated from other
tests' as separate browsers (cookies, storage, permissions), without a launch each."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
]


def flags(wav: Path | None = None, *, allow_media: bool = True) -> list[str]:
    """Chromium's flags for a fake microphone (a tone, or `wav` played in a loop) that pages may
    use without asking, or, without `allow_media`, none that they may."""
    chosen = [
        *FLAGS,
        "--use-fake-ui-for-media-stream" if allow_media else "--deny-permission-prompts",
    ]
    if wav is not None:
        chosen.append(f"--use-file-for-fake-audio-capture={wav}")
    return chosen


@contextmanager
def browser_server() -> Iterator[str]:
    """A Chromium with `flags()` behind Playwright's browser server (the Playwright driver
    this package ships, so client and server agree); yields the endpoint for
    `playwright.chromium.connect`, and stops both afterwards."""
    with tempfile.TemporaryDirectory(prefix="telemed-chromium-") as directory:
        config = Path(directory) / "launch.json"
        options = {"executablePath": CHROMIUM, "headless": True, "args": flags()}
        config.write_text(json.dumps(options), encoding="utf-8")
        # `launch-server` is the Playwright CLI's own browser server (not in its --help).
        command = ["launch-server", "--browser", "chromium", "--config", str(config)]
        # In a process group of its own: `python -m playwright` runs the driver as a child,
        # which a signal to the Python process alone would leave running.
        with subprocess.Popen(
            [sys.executable, "-m", "playwright", *command],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as server:
            try:
                assert server.stdout is not None
                endpoint = server.stdout.readline().strip()
                if not endpoint.startswith("ws://"):
                    raise RuntimeError(f"Playwright's browser server did not start: {endpoint!r}")
                yield endpoint
            finally:
                os.killpg(server.pid, signal.SIGTERM)  # the driver closes its Chromium
