"""What the worker asks of the browsers in its SDP answers."""

from __future__ import annotations

# Audio packet length the worker asks for on its own leg. Each RTP packet costs the worker a
# fixed amount of Python work (SRTP, jitter buffer, a decoder-thread hand-off, a frame), so
# three times longer packets cut that cost to a third (bench/README.md has the figures).
# The leg only feeds recording and captions, so the 40 ms it adds to delivery go unnoticed,
# while the call between the browsers keeps its own 20 ms. Opus allows up to 120 ms; 60
# keeps a lost packet's gap short of a syllable.
PTIME_MS = 60


def ask_for_ptime(sdp: str, ms: int = PTIME_MS) -> str:
    """`sdp` with `a=ptime:<ms>` in each audio section that has none.

    RFC 4566's ptime is a receiver's preference: browsers encode Opus at that frame length
    (Chromium does; tested), and one that ignores it keeps sending 20 ms packets.
    """
    lines = sdp.splitlines()
    out: list[str] = []
    section: list[str] = []

    def close_section() -> None:
        if (
            section
            and section[0].startswith("m=audio")
            and not any(line.startswith("a=ptime:") for line in section)
        ):
            section.append(f"a=ptime:{ms}")
        out.extend(section)
        section.clear()

    for line in lines:
        if line.startswith("m="):
            close_section()
            section.append(line)
        elif section:
            section.append(line)
        else:
            out.append(line)
    close_section()
    return "\r\n".join(out) + "\r\n"


def ptime_of(sdp: str) -> int | None:
    """The `a=ptime` of the first audio section, if it has one."""
    in_audio = False
    for line in sdp.splitlines():
        if line.startswith("m="):
            in_audio = line.startswith("m=audio")
        elif in_audio and line.startswith("a=ptime:"):
            try:
                return int(line.split(":", 1)[1].strip())
            except ValueError:
                return None
    return None
