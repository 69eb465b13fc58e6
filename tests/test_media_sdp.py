"""The packet length the worker asks for in its answers (media/sdp.py), on real aiortc SDP."""

from __future__ import annotations

from aiortc import RTCSessionDescription

from harness.client import local_peer
from media.sdp import ask_for_ptime, ptime_of


def sections(sdp: str) -> list[list[str]]:
    out: list[list[str]] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            out.append([line])
        elif out:
            out[-1].append(line)
    return out


async def test_only_audio_sections_get_a_ptime_and_the_offerer_accepts_the_answer() -> None:
    offerer, answerer = local_peer(), local_peer()
    try:
        offerer.addTransceiver("audio")
        offerer.addTransceiver("video")
        offerer.addTransceiver("audio")
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        plain = answerer.localDescription.sdp
        assert ptime_of(plain) is None

        asked = ask_for_ptime(plain, 60)
        kinds = [
            (s[0].split()[0], sum(line.startswith("a=ptime:") for line in s))
            for s in sections(asked)
        ]
        assert kinds == [("m=audio", 1), ("m=video", 0), ("m=audio", 1)]
        assert all("a=ptime:60" in s for s in sections(asked) if s[0].startswith("m=audio"))
        assert ptime_of(asked) == 60
        assert ask_for_ptime(asked, 20) == asked, "a section's own ptime is kept"
        # Everything else is untouched, and the offerer takes the answer.
        assert [
            line for line in asked.splitlines() if not line.startswith("a=ptime:")
        ] == plain.splitlines()
        await offerer.setRemoteDescription(RTCSessionDescription(asked, "answer"))
    finally:
        await offerer.close()
        await answerer.close()


async def test_a_malformed_ptime_reads_as_none() -> None:
    assert ptime_of("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ptime:soon\r\n") is None
    assert ptime_of("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=ptime:60\r\n") is None


def test_no_media_is_no_change() -> None:
    session = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    assert ask_for_ptime(session) == session
