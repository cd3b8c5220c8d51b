#!/usr/bin/env bash
# Builds and runs the Go consumer app (main.go, checks.go) against the Go module that
# `npx projen package:go` generated in dist/go/cdkhapatterns, with the aws-cdk-go and constructs-go
# versions test/consumers/versions.js reads from package.json.
#
# cdk-nag: the Go module proxy serves github.com/cdklabs/cdk-nag-go/cdknag/v3 at no version, so this
# script generates that binding with jsii-pacmak from node_modules/cdk-nag (the npm package the
# TypeScript build uses, tarball embedded) and points a `replace` directive at it.
#
# Nothing is written inside the repository: the binding, the work dir (a copy of the app whose go.mod
# gets the requirements) and the cloud assemblies live in mktemp dirs under ${TMPDIR:-/tmp}, removed
# on success and kept (path printed) on failure. Go's module and build caches are used as usual.
#
#   bash test/consumers/go/run.sh
#   CONSUMER_EXPECTATIONS=/path/to/expectations.json bash test/consumers/go/run.sh
set -euo pipefail

cd "$(dirname "$0")/../../.."
ROOT="$PWD"
APP="$ROOT/test/consumers/go"
MODULE_DIR="$ROOT/dist/go/cdkhapatterns"
EXPECTATIONS="${CONSUMER_EXPECTATIONS:-$ROOT/test/consumers/expectations.json}"

OUR_MODULE=github.com/cdk-ha-patterns/cdk-ha-patterns-go/cdkhapatterns
NAG_MODULE=github.com/cdklabs/cdk-nag-go/cdknag/v3
CDK_MODULE=github.com/aws/aws-cdk-go/awscdk/v2
CONSTRUCTS_MODULE=github.com/aws/constructs-go/constructs/v10

if [[ ! -f "$MODULE_DIR/go.mod" ]]; then
  echo "run.sh: $MODULE_DIR does not exist: run npx projen package:go first" >&2
  exit 1
fi
command -v go >/dev/null || { echo "run.sh: go is not installed" >&2; exit 1; }

CDK_VERSION="$(node test/consumers/versions.js aws-cdk-lib)"
CONSTRUCTS_VERSION="$(node test/consumers/versions.js constructs)"
NAG_VERSION="$(node test/consumers/versions.js cdk-nag)"
NAG_INSTALLED="$(node -p 'require("./node_modules/cdk-nag/package.json").version')"
if [[ "$NAG_INSTALLED" != "$NAG_VERSION" ]]; then
  echo "run.sh: node_modules/cdk-nag is $NAG_INSTALLED, package.json pins $NAG_VERSION: run npm ci" >&2
  exit 1
fi

TMP_BASE="${TMPDIR:-/tmp}"
NAG_DIR="$(mktemp -d "$TMP_BASE/cdk-nag-go.XXXXXX")"
WORK="$(mktemp -d "$TMP_BASE/go-consumer.XXXXXX")"
cleanup() {
  local rc=$?
  if [[ $rc -eq 0 ]]; then
    rm -rf "$NAG_DIR" "$WORK"
  else
    echo "run.sh: failed (exit $rc); kept $WORK (app, cdk.out) and $NAG_DIR (cdk-nag binding)" >&2
  fi
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v start="$1" -v end="$(now)" 'BEGIN { printf "%.1f", end - start }'; }

# 1. The cdk-nag Go binding, generated from the npm package.
t0="$(now)"
if ! npx --no-install jsii-pacmak --code-only --target go --outdir "$NAG_DIR" node_modules/cdk-nag \
  >"$NAG_DIR/pacmak.log" 2>&1; then
  cat "$NAG_DIR/pacmak.log" >&2
  echo "run.sh: jsii-pacmak could not generate the cdk-nag Go binding" >&2
  exit 1
fi
NAG_BINDING="$NAG_DIR/go/cdknag"
if ! grep -qx "module $NAG_MODULE" "$NAG_BINDING/go.mod"; then
  echo "run.sh: $NAG_BINDING/go.mod does not declare module $NAG_MODULE" >&2
  exit 1
fi
echo "run.sh: cdk-nag $NAG_VERSION Go binding generated in $(since "$t0") s ($NAG_BINDING)"

# 2. The work dir: the app, with its requirements and replacements, then the modules and the build.
cp "$APP/go.mod" "$APP"/*.go "$WORK/"
cp -r "$APP/quickstart" "$WORK/quickstart"
cd "$WORK"
t0="$(now)"
go mod edit \
  -require="$CDK_MODULE@v$CDK_VERSION" \
  -require="$CONSTRUCTS_MODULE@v$CONSTRUCTS_VERSION" \
  -require="$OUR_MODULE@v0.0.0" \
  -replace="$OUR_MODULE=$MODULE_DIR" \
  -require="$NAG_MODULE@v$NAG_VERSION" \
  -replace="$NAG_MODULE=$NAG_BINDING"
go mod tidy
echo "run.sh: modules resolved (go mod tidy) in $(since "$t0") s:"
# Minimal version selection may raise a version above the one asked (a dependency requiring more).
go list -m "$CDK_MODULE" "$CONSTRUCTS_MODULE" github.com/aws/jsii-runtime-go | sed 's/^/  /'
t1="$(now)"
go vet ./...
echo "run.sh: go vet in $(since "$t1") s"
t1="$(now)"
go build -o "$WORK/consumer" .
go build -o "$WORK/shop" ./quickstart
echo "run.sh: go build in $(since "$t1") s"
echo "run.sh: module download+build in $(since "$t0") s"

# 3. The app: synthesizes the four units and checks them against expectations.json.
t0="$(now)"
"$WORK/consumer" -out "$WORK/cdk.out" -bundle "$ROOT/test/consumers/web-bundle" -expectations "$EXPECTATIONS"
echo "run.sh: app ran in $(since "$t0") s"

# The README's Go quick start, as a user runs it: a finding would fail its synthesis.
t0="$(now)"
CDK_OUTDIR="$WORK/quickstart.out" "$WORK/shop"
test -s "$WORK/quickstart.out/Shop.template.json"
echo "go: quickstart (README) synthesized HighlyAvailableWebApp with no findings in $(since "$t0") s"
