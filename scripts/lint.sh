#!/usr/bin/env bash
# The gate before the tests: formatting, lint, strict types and the layers' import contract,
# each with the project's own configuration (pyproject.toml). Needs the test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/lint-imports
