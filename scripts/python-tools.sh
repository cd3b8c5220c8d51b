#!/usr/bin/env bash
# Installs the Python tools the checks use (scripts/python-tools.txt: cfn-lint, moto's server) into
# .venv-tools, once per change of that list: a stamp holds the list the venv was made from.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-tools
requirements=scripts/python-tools.txt
if [ -f "$venv/.installed" ] && cmp -s "$requirements" "$venv/.installed"; then
  echo "python-tools: $venv is up to date"
  exit 0
fi
rm -rf "$venv"
start=$SECONDS
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$venv/.installed"
echo "python-tools: installed $(grep -cv '^#' "$requirements") tool(s) into $venv in $((SECONDS - start)) s"
