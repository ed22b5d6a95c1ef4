#!/usr/bin/env bash
# Install everything, start the local Neo4j, ingest the example traces, print a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/vctrace demo "$@"
