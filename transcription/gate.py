"""The voice gate: which of a side's 0.25 s chunks Vosk hears.

On by default (TELEMED_VOICE_GATE=off feeds Vosk everything). It was off for a while
because on a pooled recogniser that had served a gated side the words changed far more than
on a new one: the side had ended on a phrase the gate closed, and Vosk 0.3.45 then does not
finalise on FinalResult(), so the next side went on with its features and adaptation.
`VoskRecognizer.finish` now makes sure it finalises (tests/test_transcription.py).

Vosk costs nearly as much per second of silence as of speech (0.075–0.095 s of CPU per
second on the bundled model, issue #19), and in a consultation each side is silent about
half the time, while the other talks. WebRTC's voice-activity detector (webrtcvad, the
Chromium one) decides per 10 ms whether there is voice; the gate opens on a chunk with
voice and closes after HANGOVER_CHUNKS chunks without, ending the phrase there.

Built so that the words on speech stay those of plain Vosk over the whole audio:
- the hang-over (1 s) is as long as Vosk's own end-of-phrase rule (rule3, 1 s of trailing
  silence), so Vosk usually ends the phrase itself, as it would without the gate;
- a pre-roll of at least PREROLL_CHUNKS silent chunks (1.25 s) goes before each opening.
  Vosk's online speaker adaptation (iVectors over a sliding window of normalised features)
  keeps running across phrases and counts the silence it hears: with 0.5 s of pre-roll a
  turn-taking test call lost 5 words of 40 against plain Vosk over the whole file (dither
  off), with 1.25 s one, with 2 s one (tests/test_transcription.py holds it);
- silence is skipped only in runs of a multiple of three chunks (0.75 s = 25 frames of the
  model's 30 ms output), so the frames Vosk decodes keep the phase they had in the whole
  audio.
Phrases end with Result(), never FinalResult(): the latter also restarts the adaptation,
which changed 12 words of the 40.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import webrtcvad

SAMPLE_RATE = 16000
FRAME_BYTES = SAMPLE_RATE * 2 // 100  # webrtcvad takes 10, 20 or 30 ms frames
HANGOVER_CHUNKS = 4
PREROLL_CHUNKS = 5
SKIP_MULTIPLE = 3
# 30 ms of voice in a 0.25 s chunk: a click or a breath is shorter.
MIN_VOICED_FRAMES = 3
# webrtcvad's least aggressive modes flag more noise as voice: a noisy room costs CPU,
# never words. Mode 1 keeps quiet speech in (3 would cut soft word onsets).
VAD_MODE = 1


@dataclass(frozen=True)
class Passage:
    """What to do after one chunk: the chunks to feed now, in order and contiguous, ending
    with this chunk when it is fed; and whether the phrase ends after them."""

    feed: tuple[bytes, ...]
    ends_phrase: bool


class VoiceGate:
    """One per side, fed its chunks in order (all CHUNK_BYTES long but the last)."""

    def __init__(self, mode: int = VAD_MODE) -> None:
        self._vad = webrtcvad.Vad(mode)
        self._open = False
        self._quiet = 0  # chunks without voice since the last one with, while open
        self._held: deque[bytes] = deque(maxlen=PREROLL_CHUNKS + SKIP_MULTIPLE - 1)
        self._held_count = 0  # silent chunks since the gate closed, fed or not

    def push(self, chunk: bytes) -> Passage:
        voiced = self.voiced(chunk)
        if self._open:
            self._quiet = 0 if voiced else self._quiet + 1
            if self._quiet >= HANGOVER_CHUNKS:
                self._open = False
                self._held.clear()
                self._held_count = 0
                return Passage((chunk,), True)
            return Passage((chunk,), False)
        if not voiced:
            self._held.append(chunk)
            self._held_count += 1
            return Passage((), False)
        self._open, self._quiet = True, 0
        if self._held_count >= PREROLL_CHUNKS:
            preroll = PREROLL_CHUNKS + (self._held_count - PREROLL_CHUNKS) % SKIP_MULTIPLE
        else:
            preroll = self._held_count
        held = tuple(self._held)[len(self._held) - preroll :] if preroll else ()
        self._held.clear()
        self._held_count = 0
        return Passage((*held, chunk), False)

    def voiced(self, chunk: bytes) -> bool:
        frames = 0
        for start in range(0, len(chunk) - FRAME_BYTES + 1, FRAME_BYTES):
            if self._vad.is_speech(chunk[start : start + FRAME_BYTES], SAMPLE_RATE):
                frames += 1
                if frames >= MIN_VOICED_FRAMES:
                    return True
        return False
