"""Installing an official Vosk model for a language: by name, URL or local archive."""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from transcription.engine import load_model, looks_like_model

# Alpha Cephei's published small models (Apache-2.0), fetched only when asked to.
OFFICIAL = {
    "ru": "https://alphacephei.com/vosk/models/vosk-model-small-ru-0.22.zip",
    "en": "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
}


class InstallError(Exception):
    pass


def guess_language(source: str) -> str | None:
    if source in OFFICIAL:
        return source
    name = Path(source).name.lower()
    for language in OFFICIAL:
        if f"-{language}-" in name or name.endswith(f"-{language}.zip"):
            return language
    return None


def install_model(source: str, models_dir: Path, language: str | None = None) -> Path:
    """Unpacks, checks (Vosk must load it) and moves the model to models_dir/<language>."""
    language = language or guess_language(source)
    if language is None:
        raise InstallError(f"cannot tell the language of {source}; pass --language")
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir) as tmp:
        archive = _fetch(OFFICIAL.get(source, source), Path(tmp))
        unpacked = Path(tmp) / "unpacked"
        _unpack(archive, unpacked)
        root = _model_root(unpacked)
        try:
            load_model(root)
        except Exception as exc:
            raise InstallError(f"Vosk could not load the model in {source}: {exc}") from exc
        target = models_dir / language
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(root), target)
    return target


def _fetch(source: str, tmp: Path) -> Path:
    if source.startswith(("http://", "https://")):
        target = tmp / Path(source).name
        try:
            with urllib.request.urlopen(source, timeout=60) as response, target.open("wb") as f:
                shutil.copyfileobj(response, f)
        except OSError as exc:
            raise InstallError(
                f"cannot download {source} ({exc}); on a closed network, download the archive "
                "elsewhere and run `telemed models install PATH --language LANG`"
            ) from exc
        return target
    path = Path(source)
    if not path.is_file():
        raise InstallError(f"no such archive: {source}")
    return path


def _unpack(archive: Path, target: Path) -> None:
    target.mkdir()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for member in z.namelist():
                if not _inside(target, member):
                    raise InstallError(f"unsafe path in archive: {member}")
            z.extractall(target)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            t.extractall(target, filter="data")
    else:
        raise InstallError(f"{archive.name} is neither a zip nor a tar archive")


def _inside(root: Path, member: str) -> bool:
    return (root / member).resolve().is_relative_to(root.resolve())


def _model_root(unpacked: Path) -> Path:
    for candidate in [unpacked, *sorted(p for p in unpacked.rglob("*") if p.is_dir())]:
        if looks_like_model(candidate):
            return candidate
    raise InstallError("the archive holds no Vosk model (no am/final.mdl and conf/)")
