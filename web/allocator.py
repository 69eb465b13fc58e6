"""The memory allocator of the processes that run Vosk: jemalloc where it is installed.

Vosk builds the bundled model's decoding graph as it decodes (a lazy composition of two
FSTs, cached per recogniser) and its decoder makes and drops tokens by the million: under
glibc's malloc, allocating and freeing were a tenth of `telemed serve`'s CPU samples
(`perf` with three consultations: `malloc_consolidate`, `_int_malloc`, `unlink_chunk`...).
With jemalloc (Debian's `libjemalloc2`) the same recognition costs about a third less,
more than that tenth (the rest is likely the memory's layout; not confirmed):
`python -m bench.gate` with `LD_PRELOAD` pointing at it against without, 0.091-0.104 s of
CPU per audio second against 0.118-0.144 (bench/README.md, issue #19). glibc's own
settings (trim and mmap thresholds, one arena) recovered little of it.

A process cannot change its allocator once it runs, so `telemed serve`, `worker` and
`transcribe` start themselves again, the same program with the same arguments and the same
process id, with jemalloc preloaded, before they load anything. TELEMED_ALLOCATOR chooses:
`auto` (jemalloc when installed, else glibc's, said in one line), `jemalloc` (refuse to
start without it) or `system` (never restart).
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

# Set in the started-again process: if jemalloc is still not loaded there, LD_PRELOAD did
# not take, and it must not start again and again.
RESTARTED = "TELEMED_ALLOCATOR_RESTARTED"


class AllocatorMissing(Exception):
    pass


def jemalloc_loaded(maps: Path = Path("/proc/self/maps")) -> bool:
    try:
        return "libjemalloc" in maps.read_text()
    except OSError:  # no /proc: not Linux, where LD_PRELOAD would not apply either
        return False


def use_jemalloc(
    choice: str,
    env: Mapping[str, str] = os.environ,
    find: Callable[[str], str | None] = ctypes.util.find_library,
    restart: Callable[[Mapping[str, str]], None] | None = None,
    loaded: Callable[[], bool] = jemalloc_loaded,
) -> str | None:
    """Starts this process again on jemalloc (does not return), or returns a line saying
    why it runs on glibc's allocator (None when there is nothing to say)."""
    if choice == "system" or loaded():
        return None
    if env.get(RESTARTED):
        return "telemed: jemalloc was preloaded but did not load; running on glibc's malloc"
    library = find("jemalloc")
    if library is None:
        if choice == "jemalloc":
            raise AllocatorMissing(
                "TELEMED_ALLOCATOR=jemalloc, but jemalloc is not installed "
                "(Debian: apt-get install libjemalloc2)"
            )
        return (
            "telemed: jemalloc is not installed (Debian: libjemalloc2); speech recognition "
            "runs on glibc's malloc, at about a third more CPU"
        )
    preload = " ".join(p for p in (library, env.get("LD_PRELOAD", "")) if p)
    (restart or _exec_again)({**env, "LD_PRELOAD": preload, RESTARTED: "1"})
    return None  # only when `restart` was given and returned


def _exec_again(env: Mapping[str, str]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    # sys.orig_argv: the interpreter's own options and the script or `-m module` as given.
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], dict(env))
