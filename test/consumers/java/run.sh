#!/usr/bin/env bash
# The Java consumer app: resolves cdk-ha-patterns from dist/java (built by `npx projen package:java`)
# and aws-cdk-lib, constructs and cdk-nag from Maven Central at the versions test/consumers/versions.js
# gives, compiles ConsumerApp, synthesizes the four units of reference-app.ts and checks them against
# expectations.json.
#
#   bash test/consumers/java/run.sh
#   CONSUMER_EXPECTATIONS=/path/to/other.json bash test/consumers/java/run.sh   # check another file
#   KEEP_OUT=1 bash test/consumers/java/run.sh                                  # keep the temp dir
#
# Everything it writes (compiled classes, cdk.out, the jsii runtime's temporary files and package
# cache) goes to one temporary directory; the only other thing written is Maven's own cache (~/.m2).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

aws_cdk_lib_version="$(node test/consumers/versions.js aws-cdk-lib)"
constructs_version="$(node test/consumers/versions.js constructs)"
cdk_nag_version="$(node test/consumers/versions.js cdk-nag)"
package_version="${CDK_HA_PATTERNS_VERSION:-0.0.0}"
expectations="${CONSUMER_EXPECTATIONS:-$root/test/consumers/expectations.json}"

dist_repo="$root/dist/java"
dist_jar="$dist_repo/io/github/cdk-ha-patterns/cdk-ha-patterns/$package_version/cdk-ha-patterns-$package_version.jar"
if [[ ! -f "$dist_jar" ]]; then
  echo "java: $dist_jar not found: run npx projen package:java first" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/cdk-ha-patterns-java.XXXXXX")"
cleanup() {
  if [[ -n "${KEEP_OUT:-}" ]]; then
    echo "java: output kept in $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Maven copies a release from a repository into its local cache once and never looks again, so a
# rebuilt dist/java with the same version would be ignored: drop the cached copy first.
local_repo="${MAVEN_LOCAL_REPO:-$HOME/.m2/repository}"
rm -rf "$local_repo/io/github/cdk-ha-patterns/cdk-ha-patterns/$package_version"

echo "java: aws-cdk-lib $aws_cdk_lib_version, constructs $constructs_version, cdk-nag $cdk_nag_version," \
  "cdk-ha-patterns $package_version from $dist_repo"

start=$(date +%s.%N)
# Maven 3.8 prints bare colour resets (ESC[0m) even with -B -q: strip them (pipefail keeps its status).
mvn -B -q -f "$here/pom.xml" \
  -Dmaven.repo.local="$local_repo" \
  -Ddist.repo="file://$dist_repo" \
  -Dcdk-ha-patterns.version="$package_version" \
  -Daws-cdk-lib.version="$aws_cdk_lib_version" \
  -Dconstructs.version="$constructs_version" \
  -Dcdk-nag.version="$cdk_nag_version" \
  -Dbuild.dir="$work/build" \
  -Dmdep.outputFile="$work/classpath.txt" \
  compile dependency:build-classpath 2>&1 | sed 's/\x1b\[0m//g'
end=$(date +%s.%N)
echo "java: maven resolve + compile took $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }') s"

# The jsii runtime unpacks its kernel and every package's assembly into temporary directories and a
# package cache (default ~/.cache/aws/jsii): keep both in the work dir unless a cache root is given.
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
export JSII_RUNTIME_PACKAGE_CACHE_ROOT="${JSII_RUNTIME_PACKAGE_CACHE_ROOT:-$work/jsii-cache}"

classpath="$(cat "$work/classpath.txt")"
# The jar Maven resolved must be the one in dist/java, not a stale copy.
resolved_jar="$(tr ':' '\n' <<<"$classpath" | grep "/cdk-ha-patterns-$package_version.jar$" || true)"
if [[ -z "$resolved_jar" ]] || ! cmp -s "$resolved_jar" "$dist_jar"; then
  echo "java: the classpath's cdk-ha-patterns jar (${resolved_jar:-none}) is not $dist_jar" >&2
  exit 1
fi

java -Djava.io.tmpdir="$work/tmp" -cp "$work/build/classes:$classpath" io.github.cdkhapatterns.consumer.ConsumerApp \
  "$work/cdk.out" "$root/test/consumers/web-bundle" "$expectations"

# The README's Java quick start, as a user runs it: a finding would fail its synthesis.
start=$(date +%s.%N)
CDK_OUTDIR="$work/quickstart.out" java -Djava.io.tmpdir="$work/tmp" -cp "$work/build/classes:$classpath" com.myorg.ShopApp
test -s "$work/quickstart.out/Shop.template.json"
echo "java: quickstart (README) synthesized HighlyAvailableWebApp with no findings in" \
  "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s"
