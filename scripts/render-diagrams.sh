#!/usr/bin/env bash
# Renders every docs/diagrams/*.dot to docs/images/<name>.png with Graphviz (`apt-get install graphviz`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dot >/dev/null || { echo "Graphviz 'dot' is not installed (apt-get install graphviz)" >&2; exit 1; }
for f in docs/diagrams/*.dot; do
  dot -Tpng -Gdpi=96 "$f" -o "docs/images/$(basename "$f" .dot).png"
  echo "rendered docs/images/$(basename "$f" .dot).png"
done
