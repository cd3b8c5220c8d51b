#!/usr/bin/env bash
# Installs pinned Python tools into a virtual environment, once per change of their list: a stamp
# holds the list the venv was made from. Without arguments, scripts/python-tools.txt (cfn-lint, moto's
# server) into .venv-tools; `python-tools.sh <venv> <requirements>` for another set (checkov).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv-tools}
requirements=${2:-scripts/python-tools.txt}
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
