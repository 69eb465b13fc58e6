#!/usr/bin/env bash
# Sets up what the platform needs on a fresh Debian machine: the system packages that are
# missing, a virtual environment in .venv, and the project. With --test, also what the
# tests need (Chromium, espeak-ng, sox, the test extras). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
test_setup=false
[ "${1:-}" = "--test" ] && test_setup=true

need=()
# Speech recognition runs on jemalloc: about a third less CPU than on glibc's malloc
# (web/allocator.py). Without it the platform still runs, and says so; the tests check the
# server runs on it, so --test installs it.
if ! ls /usr/lib/*/libjemalloc.so.2 >/dev/null 2>&1; then
  if $test_setup || [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
    need+=(libjemalloc2)
  else
    echo "setup: libjemalloc2 is not installed (apt-get install libjemalloc2): speech" \
      "recognition will run on glibc's malloc, at about a third more CPU" >&2
  fi
fi
if $test_setup; then
  command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
  command -v sox >/dev/null 2>&1 || need+=(sox)
  # The browser tests drive Debian's Chromium (never a downloaded browser build).
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # A throwaway PostgreSQL server is started by the tests themselves.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  # ... and a throwaway Redis, for the tests of several nodes.
  [ -x /usr/bin/redis-server ] || need+=(redis-server)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --upgrade pip
if $test_setup; then
  .venv/bin/pip install -q -e '.[test]'
else
  .venv/bin/pip install -q -e .
fi
