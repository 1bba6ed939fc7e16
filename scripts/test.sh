#!/usr/bin/env bash
# Sets up (idempotent) and runs every test suite: unit, rules, meta, runner (real PyTorch on CPU),
# integration (real VS Code via code-server) and the browser smoke test. Prints one total at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
# On CI (CI=true) code-server and Node 24 are installed into an empty folder on every run, and the
# integration and browser tests use that install (they read VSCT_DIR too): a cache left by an earlier
# run can then no longer hide a missing install step. 5 to 20 minutes on a 2-core machine (17 measured
# while other work shared it).
if [ "${CI:-}" = true ] && [ -z "${VSCT_DIR:-}" ]; then
  VSCT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pd-vscode-test-XXXXXX")
  export VSCT_DIR
  trap 'rm -rf "$VSCT_DIR"' EXIT
  echo "[test] CI=true: installing code-server from scratch into $VSCT_DIR"
fi
if ! bash scripts/setup.sh --tests; then
  echo "[test] setup failed (the step and what to do are above); no test ran" >&2
  exit 1
fi

passed=0; failed=0; broken=()
record() { # name, pass, fail, exit code: a suite that exits non-zero without counting a failure counts as one
  local p=${2:-0} f=${3:-0}
  [[ "$p" =~ ^[0-9]+$ ]] || p=0; [[ "$f" =~ ^[0-9]+$ ]] || f=0
  if [ "$4" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
  [ "$4" != 0 ] && broken+=("$1")
  printf '[test] %s: %s passed, %s failed (exit %s)\n' "$1" "$p" "$f" "$4"
}
node_suite() { # name, paths…
  local name=$1; shift
  local log; log=$(mktemp)
  node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$log" "$@"
  local code=$?
  record "$name" "$(grep -E '^# pass ' "$log" | awk '{print $3}' | tail -1)" "$(grep -E '^# fail ' "$log" | awk '{print $3}' | tail -1)" "$code"
  rm -f "$log"
}

echo "[test] type-checking and compiling"
if npx tsc -p . && npx tsc -p webview --noEmit; then record typecheck 1 0 0; else record typecheck 0 1 1; fi

node_suite "unit, rules, meta, fuzz, accuracy" out/test/unit/ out/test/rules/ out/test/meta/ out/test/fuzz/ out/test/accuracy/
node_suite runner --test-concurrency=1 out/test/runner/
# Every browser test file of the dashboard (the same set as `npm run test:dashboard`).
node_suite "dashboard (browser)" --test-concurrency=1 test/e2e/dashboard-*.test.mjs

for suite in test:integration test:e2e; do
  if npm run -s "$suite" 2>&1 | tee /tmp/pd-$$.log; then code=0; else code=${PIPESTATUS[0]}; fi
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' /tmp/pd-$$.log | tail -1)
  if [ -n "$line" ]; then
    record "$suite" "${line%% passed*}" "$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')" "$code"
  else # browser drivers print one RESULT line per scenario
    record "$suite" "$(grep -c '^RESULT: PASS' /tmp/pd-$$.log)" "$(grep -c '^RESULT: FAIL' /tmp/pd-$$.log)" "$code"
  fi
done
rm -f /tmp/pd-$$.log

echo
[ ${#broken[@]} -gt 0 ] && echo "failing suites: ${broken[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
