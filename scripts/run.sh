#!/usr/bin/env bash
# The run command: set up (idempotent), then start the whole platform in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/telemed serve "$@"
