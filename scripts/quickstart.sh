#!/usr/bin/env bash
# README's first command: install into ./.venv, load the bundled real sample into SQLite, build the
# search index, and serve the web app on http://127.0.0.1:8000 (Ctrl-C stops it).
# PAPERWIRE_PORT / PAPERWIRE_HOST choose where it listens.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }
bash scripts/install.sh
. .venv/bin/activate
step "Creating the database"
paperwire init
step "Loading the bundled sample (four weeks of Hugging Face daily lists)"
paperwire load-sample
paperwire daily --limit 10
step "Building the search indexes (the first run also prepares the embedding model)"
paperwire index
step "Serving the web app"
exec paperwire serve
