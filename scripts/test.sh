#!/usr/bin/env bash
# The test command: set up with the test dependencies (idempotent), pass the gate
# (scripts/lint.sh: format, lint, strict types, import layers), then run the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
bash scripts/lint.sh
exec .venv/bin/python -m pytest -q "$@"
