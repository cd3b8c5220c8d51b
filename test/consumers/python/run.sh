#!/usr/bin/env bash
# The Python consumer: a fresh virtual environment with the wheel the build made (dist/python) and
# aws-cdk-lib, constructs and cdk-nag from PyPI at the versions package.json pins; mypy over the
# app; then the app synthesizes every unit and checks it (see app.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

MYPY_VERSION=2.4.1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 JSII_SILENCE_SUPPORT_WARNING=1
wheel=$(find dist/python -name "cdk_ha_patterns-*.whl" 2>/dev/null | head -1)
[ -n "$wheel" ] || { echo "python: no wheel in dist/python; run npx projen package:python first" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/consumer-python.XXXXXX")
trap 'rm -rf "$work"' EXIT

start=$(date +%s)
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check \
  "$wheel" \
  "aws-cdk-lib==$(node test/consumers/versions.js aws-cdk-lib)" \
  "constructs==$(node test/consumers/versions.js constructs)" \
  "cdk-nag==$(node test/consumers/versions.js cdk-nag)" \
  "mypy==$MYPY_VERSION"
echo "python: installed $(basename "$wheel") and its dependencies from PyPI in $(( $(date +%s) - start )) s"

start=$(date +%s)
# --strict: every mypy strictness flag; aws-cdk-lib, constructs, cdk-nag and our wheel all ship
# py.typed with complete hints, so nothing needs relaxing.
"$work/venv/bin/mypy" --strict --cache-dir "$work/mypy-cache" "$here/app.py" "$here/quickstart.py"
echo "python: mypy --strict passed in $(( $(date +%s) - start )) s"

# Every class, member and keyword a Python example in the README uses exists in these bindings.
"$work/venv/bin/python" "$here/check_readme.py" README.md

"$work/venv/bin/python" "$here/app.py" "$work/cdk.out" "$here/../web-bundle" "${CONSUMER_EXPECTATIONS:-$here/../expectations.json}"

# The README's Python quick start, as a user runs it: a finding would fail its synthesis.
start=$(date +%s)
CDK_OUTDIR="$work/quickstart.out" "$work/venv/bin/python" "$here/quickstart.py"
test -s "$work/quickstart.out/Shop.template.json"
echo "python: quickstart (README) synthesized HighlyAvailableWebApp with no findings in $(( $(date +%s) - start )) s"
