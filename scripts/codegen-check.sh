#!/usr/bin/env bash
# Proves the compiled API works in every jsii language: generates Python, Java, .NET and Go code
# offline (no registry needed) and byte-compiles the Python. Run after compile.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx jsii-pacmak --code-only --target python --target java --target dotnet --target go -o "$out"
for lang in python java dotnet go; do
  count=$(find "$out/$lang" -type f | wc -l)
  [ "$count" -gt 0 ] || { echo "no $lang code generated" >&2; exit 1; }
  echo "codegen: $lang $count file(s)"
done
python3 -m compileall -q "$out/python"
echo "codegen: generated Python byte-compiles"
