"""When `telemed serve` starts itself again on jemalloc, and when it says why it does not.

The restart itself (same process, jemalloc in its maps) is checked on a real server in
tests/test_cli.py; here the decisions, with the library lookup and the exec passed in."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from web.allocator import RESTARTED, AllocatorMissing, use_jemalloc


class Restarts:
    def __init__(self) -> None:
        self.envs: list[dict[str, str]] = []

    def __call__(self, env: Mapping[str, str]) -> None:
        self.envs.append(dict(env))


def test_it_starts_again_with_jemalloc_first_in_the_preloads() -> None:
    restarts = Restarts()
    note = use_jemalloc(
        "auto",
        {"LD_PRELOAD": "libother.so", "PATH": "/bin"},
        find=lambda name: "libjemalloc.so.2" if name == "jemalloc" else None,
        restart=restarts,
        loaded=lambda: False,
    )
    assert note is None
    [env] = restarts.envs
    assert env["LD_PRELOAD"] == "libjemalloc.so.2 libother.so"
    assert env[RESTARTED] == "1" and env["PATH"] == "/bin"


def test_it_never_starts_again_when_told_not_to_or_already_on_jemalloc() -> None:
    restarts = Restarts()
    found = "libjemalloc.so.2"
    assert use_jemalloc("system", {}, lambda _: found, restarts, lambda: False) is None
    assert use_jemalloc("auto", {}, lambda _: found, restarts, lambda: True) is None
    assert restarts.envs == []


def test_a_preload_that_did_not_take_is_said_once_not_retried() -> None:
    restarts = Restarts()
    note = use_jemalloc(
        "auto", {RESTARTED: "1"}, lambda _: "libjemalloc.so.2", restarts, lambda: False
    )
    assert note is not None and "did not load" in note
    assert restarts.envs == []


def test_without_jemalloc_auto_says_so_and_jemalloc_refuses() -> None:
    restarts = Restarts()
    note = use_jemalloc("auto", {}, lambda _: None, restarts, lambda: False)
    assert note is not None and "libjemalloc2" in note and "glibc" in note
    with pytest.raises(AllocatorMissing, match="apt-get install libjemalloc2"):
        use_jemalloc("jemalloc", {}, lambda _: None, restarts, lambda: False)
    assert restarts.envs == []
