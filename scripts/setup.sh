#!/usr/bin/env bash
# Installs what Pipeline Doctor needs on a fresh machine of this kind, idempotently and fast when
# everything is already there: npm packages, the bundles, and (with --tests or --torch) Debian's
# PyTorch for the runner, plus (with --tests) Chromium and a real VS Code (code-server) for the
# integration and browser tests.
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

# 1) Debian packages
apt_pkgs=()
if [ "$want_torch" = 1 ]; then
  for p in python3-torch python3-numpy python3-yaml; do dpkg -s "$p" >/dev/null 2>&1 || apt_pkgs+=("$p"); done
fi
if [ "$want_tests" = 1 ]; then
  dpkg -s libkrb5-dev >/dev/null 2>&1 || apt_pkgs+=(libkrb5-dev)
  command -v chromium >/dev/null 2>&1 || apt_pkgs+=(chromium)
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  log "installing Debian packages: ${apt_pkgs[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
fi

# 2) npm packages (npm ci only when the lockfile changed since the last install)
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 3) bundles
node scripts/build.mjs >/dev/null
log "built dist/"

# 4) a real VS Code for the integration tests
if [ "$want_tests" = 1 ]; then
  bash scripts/setup-code-server.sh >/dev/null
  log "code-server ready"
fi
