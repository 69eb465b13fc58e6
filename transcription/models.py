"""Which speech model serves which language, and loading each one once per process."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from clinic.settings import Settings
from transcription.engine import SpeechModel, bundled_model_dir, load_model, looks_like_model
from transcription.pool import PoolStats, RecognizerPool, default_bound, warmup_pcm

log = logging.getLogger(__name__)

LANGUAGES = ("ru", "en")


@dataclass(frozen=True)
class ModelChoice:
    language: str
    path: Path
    source: str  # "settings", "installed" or "fallback"

    @property
    def is_fallback(self) -> bool:
        return self.source == "fallback"


def choose_model(settings: Settings, language: str) -> ModelChoice:
    """Settings first, then a model installed by `telemed models install`, then the bundled one."""
    configured = settings.vosk_models.get(language)
    if configured is not None:
        if not looks_like_model(configured):
            raise FileNotFoundError(
                f"TELEMED_VOSK_MODEL_{language.upper()}={configured} is not a Vosk model directory"
            )
        return ModelChoice(language, configured, "settings")
    installed = settings.models_dir / language
    if looks_like_model(installed):
        return ModelChoice(language, installed, "installed")
    return ModelChoice(language, bundled_model_dir(), "fallback")


def describe_models(settings: Settings) -> list[str]:
    """Lines for the operator: which model serves which language and what to do if missing."""
    lines = []
    for language in LANGUAGES:
        choice = choose_model(settings, language)
        if choice.is_fallback:
            lines.append(
                f"speech model for '{language}': none installed; falling back to the bundled "
                f"Korean model ({choice.path}), which will not understand {language}. "
                f"Install one with: telemed models install {language} (or an archive path)"
            )
        else:
            lines.append(f"speech model for '{language}': {choice.path} ({choice.source})")
    return lines


class ModelPool:
    """Loads each model directory once and shares it between all recognizers of the process;
    keeps a pool of warm recognisers per model."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loaded: dict[Path, SpeechModel] = {}
        self._recognizers: dict[Path, RecognizerPool] = {}
        self._warming: dict[Path, threading.Thread] = {}
        self._lock = threading.Lock()
        # Whether sides are transcribed through the voice gate (transcription/gate.py).
        self.voice_gate = settings.voice_gate
        self._bound = (
            settings.recognizer_pool if settings.recognizer_pool is not None else default_bound()
        )

    def for_language(self, language: str) -> SpeechModel:
        return self.load(choose_model(self._settings, language).path)

    def recognizers(self, language: str) -> RecognizerPool:
        """The pool of warm recognisers of the model serving `language`."""
        path = choose_model(self._settings, language).path.resolve()
        model = self.load(path)
        with self._lock:
            pool = self._recognizers.get(path)
            if pool is None:
                pool = self._recognizers[path] = RecognizerPool(model, self._bound)
            return pool

    def load(self, path: Path) -> SpeechModel:
        path = path.resolve()
        with self._lock:
            model = self._loaded.get(path)
            if model is None:
                model = load_model(path)
                self._loaded[path] = model
            return model

    def warm(self, language: str) -> None:
        """Starts filling the language's pool with warm recognisers in a background thread
        (once per model), so the process serves at once and sides arriving meanwhile get
        new recognisers. `wait_warm` waits for it."""
        pool = self.recognizers(language)
        path = choose_model(self._settings, language).path.resolve()
        with self._lock:
            if path in self._warming:
                return
            thread = threading.Thread(
                target=_warm, args=(pool, _label(path)), daemon=True, name=f"warm-{path.name}"
            )
            self._warming[path] = thread
        thread.start()

    def wait_warm(self, timeout_s: float | None = None) -> bool:
        """True when every pool started warming has finished."""
        with self._lock:
            threads = list(self._warming.values())
        for thread in threads:
            thread.join(timeout_s)
        return not any(t.is_alive() for t in threads)

    def recognizer_stats(self) -> dict[str, PoolStats]:
        """Per model directory name: the pool's bound, idle recognisers, hits and misses."""
        with self._lock:
            pools = dict(self._recognizers)
        return {_label(path): pool.stats() for path, pool in pools.items()}


def _label(path: Path) -> str:
    # The bundled model's directory is just "model": its package names it.
    return f"{path.parent.name}/{path.name}" if path.name == "model" else path.name


def _warm(pool: RecognizerPool, name: str) -> None:
    # At the process's own priority: a lower one (a thread's nice value) is lower against
    # every process of the machine, and on a busy one left the pool cold for many minutes.
    try:
        added = pool.warm(warmup_pcm())
    except Exception:  # a pool that cannot warm still serves, with new recognisers
        log.exception("recognizer_pool_warm_failed model=%s", name)
        return
    log.info("recognizer_pool_warm model=%s added=%d bound=%d", name, added, pool.bound)
