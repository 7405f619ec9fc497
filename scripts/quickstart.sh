#!/usr/bin/env bash
# README's first command: install into ./.venv, load the bundled real sample into SQLite, build the
# search index, and serve the web app on http://127.0.0.1:8000 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. .venv/bin/activate
paperwire init
paperwire load-sample
paperwire daily --limit 10
paperwire index
exec paperwire serve --host "${PAPERWIRE_HOST:-127.0.0.1}" --port "${PAPERWIRE_PORT:-8000}"
