# Sourced by the setup scripts. `step WHAT RETRY CMD...` runs one setup step with its output in a log
# file; when it fails, it says which step failed, shows the end of its log and the command that
# retries it, and ends the script with the step's exit status. A bare "setup failed" helps nobody.
SETUP_LOGS="${SETUP_LOGS:-${TMPDIR:-/tmp}/pipeline-doctor-setup}"
mkdir -p "$SETUP_LOGS"

step() {
  local what=$1 retry=$2; shift 2
  local log; log="$SETUP_LOGS/$(printf '%s' "$what" | tr -cs 'A-Za-z0-9' '-' | cut -c1-48 | sed 's/-$//').log"
  local code=0
  "$@" >"$log" 2>&1 || code=$?
  [ "$code" = 0 ] && return 0
  {
    echo "[setup] FAILED: $what (exit status $code)"
    echo "[setup] last lines of its log ($log):"
    tail -n 25 "$log" | sed 's/^/    /'
    echo "[setup] fix the cause above, then retry this step with: $retry"
  } >&2
  exit "$code"
}
