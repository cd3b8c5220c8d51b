#!/usr/bin/env bash
# Lints every shell script in the repository (CI, tools, and the user data the constructs ship).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v shellcheck >/dev/null || { echo "shellcheck is not installed (apt-get install shellcheck)" >&2; exit 1; }
mapfile -t scripts < <(git ls-files '*.sh')
shellcheck .ci/run "${scripts[@]}"
echo "shellcheck: $((${#scripts[@]} + 1)) script(s) clean"
