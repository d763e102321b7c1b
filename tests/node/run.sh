#!/usr/bin/env bash
# Runs a Node test of tests/node against vqclip: skips (exit 77, saying why)
# where Node or the pinned packages are missing (scripts/install-deps.sh
# installs both). Usage: tests/node/run.sh TEST.mjs VQCLIP_EXE BUNDLE_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null; then
  echo "skipped: node is not installed (scripts/install-deps.sh installs it)"; exit 77
fi
if [[ ! -d $here/node_modules/openai ]]; then
  echo "skipped: $here/node_modules lacks the pinned packages (npm ci --prefix tests/node; scripts/install-deps.sh does it)"
  exit 77
fi
exec node "$here/$1" "${@:2}"
