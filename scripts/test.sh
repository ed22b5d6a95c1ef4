#!/usr/bin/env bash
# Install everything and run the whole test suite (it starts and stops its own Neo4j).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
