#!/usr/bin/env bash
# Install vctrace and its Python dependencies into .venv (idempotent).
# Needs Python 3.11+; the local Neo4j also needs Java 17+ and Maven (or set VCTRACE_NEO4J_URI).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "vctrace needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
  exit 2
fi
if [ -z "${VCTRACE_NEO4J_URI:-}" ]; then
  for tool in java mvn; do
    command -v "$tool" >/dev/null || {
      echo "the local Neo4j needs Java 17+ and Maven: '$tool' not found" \
           "(or set VCTRACE_NEO4J_URI to an existing Neo4j 5)" >&2; exit 2; }
  done
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
