"""Short-lived TURN credentials in coturn's REST API scheme (`use-auth-secret`).

The browser gets a username "<expiry>:<who>" and, as password, the HMAC-SHA1 of that name
under the secret shared with coturn; they stop working at the expiry, so a leaked one is
worth little and no TURN accounts need managing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any


def turn_credentials(
    urls: tuple[str, ...], secret: str, who: str, ttl_s: int, now: float | None = None
) -> dict[str, Any]:
    expiry = int((time.time() if now is None else now) + ttl_s)
    username = f"{expiry}:{who}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return {
        "urls": list(urls),
        "username": username,
        "credential": base64.b64encode(digest).decode(),
    }
