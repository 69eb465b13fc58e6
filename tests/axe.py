"""axe-core (the copy axe-playwright-python ships) over a page in the browser tests."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

AXE_SCRIPT = Axe().axe_script


async def grave_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of WCAG on the page as it is now."""
    # Injected once per document, not before every scan (as Axe.run does): the page keeps
    # it between scans of its states, and it is half a megabyte to send and compile.
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE_SCRIPT)
    results: dict[str, Any] = await page.evaluate(
        "options => axe.run(document, options)", {"resultTypes": ["violations"]}
    )
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
