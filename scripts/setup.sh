#!/usr/bin/env bash
# Installs what Pipeline Doctor needs on a fresh machine of this kind, idempotently and fast when
# everything is already there: npm packages, the bundles, and (with --tests or --torch) Debian's
# PyTorch for the runner, plus (with --tests) Chromium and a real VS Code (code-server) for the
# integration and browser tests, and Prometheus for the live metrics test.
set -euo pipefail
cd "$(dirname "$0")/.."
want_tests=0; want_torch=0
for a in "$@"; do
  case "$a" in
    --tests) want_tests=1; want_torch=1 ;;
    --torch) want_torch=1 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

log() { printf '[setup] %s\n' "$*"; }
source scripts/setup-step.sh

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "[setup] FAILED: Node.js 20 or later is needed; found $(node -v 2>/dev/null || echo 'no node on PATH')" >&2
  echo "[setup] install Node 20+ (e.g. Debian's nodejs package or https://nodejs.org), then rerun: bash scripts/setup.sh $*" >&2
  exit 1
fi

# 1) Debian packages
apt_pkgs=()
if [ "$want_torch" = 1 ]; then
  for p in python3-torch python3-numpy python3-yaml; do dpkg -s "$p" >/dev/null 2>&1 || apt_pkgs+=("$p"); done
fi
if [ "$want_tests" = 1 ]; then
  dpkg -s libkrb5-dev >/dev/null 2>&1 || apt_pkgs+=(libkrb5-dev)
  # The runner tests validate every harness event against its schema in Python too (pd_events.py).
  dpkg -s python3-jsonschema >/dev/null 2>&1 || apt_pkgs+=(python3-jsonschema)
  command -v chromium >/dev/null 2>&1 || apt_pkgs+=(chromium)
  # A real Prometheus scrapes a profile run in test/runner/live-metrics.test.ts.
  dpkg -s prometheus >/dev/null 2>&1 || apt_pkgs+=(prometheus)
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  log "installing Debian packages: ${apt_pkgs[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  install_apt() { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_pkgs[@]}"; }
  step "install Debian packages ${apt_pkgs[*]}" "$SUDO apt-get update && $SUDO apt-get install -y ${apt_pkgs[*]}" install_apt
fi

# 2) npm packages, with npm ci only when node_modules does not hold what package-lock.json pins. Compared
#    by content, not by file times (a fresh checkout's lockfile is always the newer file). A node_modules
#    that is a link (a git worktree sharing another checkout's) is never reinstalled from here: npm ci
#    empties the folder the link points to before it installs.
installed_matches_lock() {
  node -e '
    const fs = require("fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages;
    let have = {};
    try { have = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages; } catch {}
    const differ = Object.entries(lock).filter(([k, p]) => k !== "" && !p.optional && have[k]?.version !== p.version);
    process.exit(differ.length === 0 ? 0 : 1);'
}
if ! installed_matches_lock; then
  if [ -L node_modules ]; then
    echo "[setup] FAILED: node_modules links to $(readlink node_modules), whose packages differ from package-lock.json" >&2
    echo "[setup] run npm ci where the link points (npm ci here would empty that folder), then rerun: bash scripts/setup.sh $*" >&2
    exit 1
  fi
  log "installing npm packages"
  step "install npm packages (npm ci)" "npm ci   (needs the npm registry; package-lock.json must match package.json)" \
    npm ci --no-audit --no-fund --loglevel=error
fi

# 3) bundles
step "build the bundles (node scripts/build.mjs)" "node scripts/build.mjs" node scripts/build.mjs
log "built dist/"

# 4) a real VS Code for the integration tests
if [ "$want_tests" = 1 ]; then
  # It names its own failing step; its output on success is just the version.
  cs_version=$(bash scripts/setup-code-server.sh)
  log "code-server ready: $cs_version${VSCT_DIR:+ (in $VSCT_DIR)}"
fi
