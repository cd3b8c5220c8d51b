#!/usr/bin/env bash
# cfn-lint (pinned in scripts/python-tools.txt, configured by .cfnlintrc.yaml) over every template the
# project synthesizes:
#   unit     .templates/unit/**          what the unit tests synthesized (test/global-setup.ts keeps them)
#   integ    test/integ/*.snapshot/      the committed integ snapshots
#   example  cdk.out/**                  the example app (`npx projen example`)
# Identical templates (many tests synthesize the same stack) are linted once. Unit-test templates that
# CloudFormation Validate rejected at synthesis (validation-report.json lists its violations) come from
# tests that check that rejection, so they are listed and not linted. Prints every finding with its
# file, resource, construct path and, for unit tests, the test that made it; then the count by rule.
# Exits non-zero on any error or warning. Informational rules are off (cfn-lint's default); with
# CFN_LINT_INFO=1 they run and are printed, but do not fail the check. CFN_LINT_JOBS sets how many
# cfn-lint processes share the templates (default: the number of CPUs, at most 4). CFN_LINT_UNIT_DIR
# lints the unit-test templates of another directory (e.g. a copy of one run) instead of .templates/unit;
# a Jest run that starts meanwhile deletes the runs of Jest processes that have ended. CFN_LINT_EXAMPLE_DIR
# does the same for the example templates (default cdk.out).
set -euo pipefail
cd "$(dirname "$0")/.."

cfn_lint=.venv-tools/bin/cfn-lint
python=.venv-tools/bin/python3
config=.cfnlintrc.yaml
unit_dir=${CFN_LINT_UNIT_DIR:-.templates/unit}
example_dir=${CFN_LINT_EXAMPLE_DIR:-cdk.out}

[ -x "$cfn_lint" ] || { echo "cfn-lint: $cfn_lint is missing: run 'npx projen python-tools'" >&2; exit 1; }
[ -f "$config" ] || { echo "cfn-lint: $config is missing" >&2; exit 1; }

started=$SECONDS
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every *.template.json under the given paths, outside asset staging directories.
templates_under() {
  find "$@" -type f -name '*.template.json' -not -path '*/asset.*' 2>/dev/null | LC_ALL=C sort || true
}

templates_under "$unit_dir" >"$work/unit"
find test/integ -type f -path '*.snapshot/*' -name '*.template.json' -not -path '*/asset.*' | LC_ALL=C sort >"$work/integ"
templates_under "$example_dir" >"$work/example"

missing=()
[ -s "$work/unit" ] || missing+=("no unit-test templates in $unit_dir/: run 'npx projen test' (or 'npx jest') first")
[ -s "$work/integ" ] || missing+=("no integ snapshot templates in test/integ/*.snapshot/: run 'npx projen integ:update'")
[ -s "$work/example" ] || missing+=("no example templates in $example_dir/: run 'npx projen example' first")
if [ "${#missing[@]}" -gt 0 ]; then
  printf 'cfn-lint: %s\n' "${missing[@]}" >&2
  exit 1
fi

# Which unit-test runs the templates come from (one directory per Jest run; a run still going is partial).
for run in "$unit_dir"/run-*; do
  [ -d "$run" ] || continue
  pid=${run##*-}
  state=finished
  if kill -0 "$pid" 2>/dev/null; then state="STILL RUNNING (pid $pid): its templates are partial"; fi
  echo "cfn-lint: unit-test run ${run#"$unit_dir"/}: $(grep -c "^$run/" "$work/unit" || true) template(s), $state"
done

# Select what to lint: CloudFormation templates only, one file per distinct content (preferring the
# example, then integ, then unit path as the one shown), unit templates rejected by design left out.
"$python" - "$work" <<'PY'
import hashlib, json, os, sys
work = sys.argv[1]
seen, order, skipped, not_templates = {}, [], [], []
for source in ("example", "integ", "unit"):
    with open(os.path.join(work, source)) as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        try:
            template = json.loads(data)
        except ValueError:
            template = None
        if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
            not_templates.append(path)
            continue
        if source == "unit":
            report = os.path.join(os.path.dirname(path), "validation-report.json")
            # The violations of this stack (the first segment of the construct path is the stack's id,
            # which names its template), or of the whole app when the report names no construct.
            stack = os.path.basename(path)[: -len(".template.json")]
            rules = []
            if os.path.exists(report):
                with open(report) as f:
                    for plugin in json.load(f).get("pluginReports", []):
                        if plugin.get("pluginName") != "CloudFormation Validate":
                            continue
                        for v in plugin.get("violations", []):
                            paths = [c.get("constructPath", "") for c in v.get("violatingConstructs", [])]
                            if not paths or any(p.split("/")[0] == stack for p in paths):
                                rules.append(v.get("ruleName", "?"))
            if rules:
                skipped.append({"path": path, "rules": sorted(set(rules))})
                continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            seen[digest]["copies"].append(path)
            continue
        seen[digest] = {"path": path, "source": source, "copies": []}
        order.append(digest)
selected = {seen[d]["path"]: seen[d] for d in order}
with open(os.path.join(work, "selected.json"), "w") as f:
    json.dump({"selected": selected, "skipped": skipped, "not_templates": not_templates}, f)
with open(os.path.join(work, "lint"), "w") as f:
    f.writelines(p + "\n" for p in selected)
PY

# Lint them in a few cfn-lint processes (each pays the ~3 s start-up once), dealt out round-robin.
mapfile -t files <"$work/lint"
jobs=${CFN_LINT_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$jobs" -gt 4 ] && jobs=4
[ "$jobs" -gt "${#files[@]}" ] && jobs=${#files[@]}
extra=()
[ "${CFN_LINT_INFO:-0}" = 1 ] && extra+=(--include-checks I)
lint_started=$SECONDS
pids=()
for ((j = 0; j < jobs; j++)); do
  batch=()
  for ((i = j; i < ${#files[@]}; i += jobs)); do batch+=("${files[i]}"); done
  "$cfn_lint" --config-file "$config" "${extra[@]}" --format json -- "${batch[@]}" \
    >"$work/out.$j.json" 2>"$work/err.$j" &
  pids+=("$!")
done
crashed=0
for ((j = 0; j < jobs; j++)); do
  rc=0
  wait "${pids[j]}" || rc=$?
  # cfn-lint's exit code is a bit mask of the levels found (2 error, 4 warning, 8 informational); 1
  # or anything else is a failure of cfn-lint itself.
  if [ $((rc & ~14)) -ne 0 ]; then
    echo "cfn-lint: process $((j + 1))/$jobs failed (exit code $rc):" >&2
    cat "$work/err.$j" >&2
    crashed=1
  fi
done
lint_seconds=$((SECONDS - lint_started))
[ "$crashed" -eq 0 ] || exit 1

# Report: every finding, then the summary.
"$python" - "$work" "$jobs" "$lint_seconds" "$((SECONDS - started))" <<'PY'
import collections, glob, json, os, re, sys
work, jobs, lint_seconds, total_seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(os.path.join(work, "selected.json")) as f:
    state = json.load(f)
selected = state["selected"]
matches = []
for out in sorted(glob.glob(os.path.join(work, "out.*.json"))):
    with open(out) as f:
        text = f.read().strip()
    matches += json.loads(text) if text else []

_constructs = {}
def constructs(directory):
    """logical id -> (construct path, creation stack), from the cloud assembly's metadata files."""
    if directory not in _constructs:
        found = {}
        entries = {}
        for meta in glob.glob(os.path.join(directory, "*.metadata.json")):
            with open(meta) as f:
                entries.update(json.load(f))
        manifest = os.path.join(directory, "manifest.json")
        if os.path.exists(manifest):
            with open(manifest) as f:
                for artifact in json.load(f).get("artifacts", {}).values():
                    entries.update(artifact.get("metadata", {}))
        for path, items in entries.items():
            logical = next((e["data"] for e in items if e.get("type") == "aws:cdk:logicalId"), None)
            stack = next((e["data"] for e in items if e.get("type") == "aws:cdk:creationStack"), [])
            if logical and logical not in found:
                found[logical] = (path.lstrip("/"), stack)
        _constructs[directory] = found
    return _constructs[directory]

# Creation stack frames: "fn (/abs/path/src/x.ts:12:3)". Under Jest the line numbers are those of the
# compiled code, so only the function and the file are shown.
FRAME = re.compile(r"^(?:(.*?) )?\((?:.*?/)?((?:src|test|examples)/[^:()]+):\d+:\d+\)$")

def origin(stack):
    """Where in src/ the resource was created, and which test file (through which helpers) made it."""
    frames = [(m.group(1) or "", m.group(2)) for m in map(FRAME.match, stack) if m]
    src = next((f"{fn} in {p}" if fn else p for fn, p in frames if p.startswith("src/")), None)
    tests = [(fn, p) for fn, p in frames if p.endswith(".test.ts")]
    test = None
    if tests:
        helpers = [fn for fn, _ in tests if fn and fn != "<anonymous>"]
        test = tests[-1][1] + (f" (through {', '.join(dict.fromkeys(helpers))})" if helpers else "")
    return src, test

levels = collections.Counter()
by_rule = collections.defaultdict(lambda: [0, ""])
for m in sorted(matches, key=lambda m: (m["Filename"], m["Location"]["Start"]["LineNumber"], m["Rule"]["Id"])):
    rule, level, filename = m["Rule"]["Id"], m["Level"], m["Filename"]
    levels[level] += 1
    by_rule[rule][0] += 1
    by_rule[rule][1] = level
    loc = m["Location"]
    where = f'{filename}:{loc["Start"]["LineNumber"]}:{loc["Start"]["ColumnNumber"]}'
    print(f"\n{rule} {level.lower()}  {where}")
    path = loc.get("Path") or []
    info = selected.get(filename, {})
    if len(path) >= 2 and path[0] == "Resources":
        logical = path[1]
        try:
            with open(filename) as f:
                rtype = json.load(f)["Resources"][logical].get("Type", "?")
        except (OSError, KeyError, ValueError):
            rtype = "?"
        construct, stack = constructs(os.path.dirname(filename)).get(logical, (None, []))
        at = "/".join(str(p) for p in path[2:])
        print(f"    {rtype} {logical}" + (f" ({construct})" if construct else "") + (f" at {at}" if at else ""))
        src, test = origin(stack)
        if src:
            print(f"    created by {src}")
        if test and info.get("source") == "unit":
            print(f"    made by {test}")
    print(f'    {m["Message"]}')
    copies = info.get("copies", [])
    if copies:
        print(f"    (and in {len(copies)} identical template(s), e.g. {copies[0]})")

print("\ncfn-lint: templates per source")
counts = {}
for source in ("unit", "integ", "example"):
    with open(os.path.join(work, source)) as f:
        counts[source] = sum(1 for line in f if line.strip())
    print(f"  {source:8} {counts[source]:4}")
for s in state["skipped"]:
    print(f'  skipped (CloudFormation Validate rejected it at synthesis, as its test expects: {", ".join(s["rules"])}): {s["path"]}')
for p in state["not_templates"]:
    print(f"  skipped (not a CloudFormation template): {p}")
linted = len(selected)
total = sum(counts.values())
print(f"  linted   {linted:4} distinct of {total} ({total - linted - len(state['skipped']) - len(state['not_templates'])} identical copies, "
      f"{len(state['skipped'])} rejected by design, {len(state['not_templates'])} not templates) "
      f"in {jobs} cfn-lint process(es), {lint_seconds} s (whole check {total_seconds} s)")
if by_rule:
    print("cfn-lint: findings by rule")
    for rule, (n, level) in sorted(by_rule.items()):
        print(f"  {rule:6} {level.lower():13} {n:4}")
errors, warnings, infos = levels["Error"], levels["Warning"], levels["Informational"]
print(f"cfn-lint: {errors} error(s), {warnings} warning(s), {infos} informational (informational findings do not fail the check)")
sys.exit(1 if errors or warnings else 0)
PY
