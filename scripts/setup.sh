#!/usr/bin/env bash
# Idempotent setup: installs everything sluice's tests and demo need from the package registries, then
# builds. A second run only checks and takes seconds.
#   - foundry binaries (anvil, cast, forge) pinned in package.json / package-lock.json, from npm;
#   - the project itself (cargo build, all targets).
# The binaries are found by the code at node_modules/@foundry-rs/<tool>-linux-amd64/bin/<tool>, or where
# SLUICE_ANVIL / SLUICE_CAST / SLUICE_FORGE point.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

need() { command -v "$1" >/dev/null 2>&1 || { log "missing $1: $2"; exit 1; }; }
need cargo "install Rust (rustup) first"
need npm "install Node.js 20 and npm first (apt-get install nodejs npm)"
need python3 "install python3 first (used to generate benchmark data)"

# 1. npm packages, only when the lock file changed since the last install.
stamp=node_modules/.sluice-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing pinned npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
else
  log "npm packages up to date"
fi
for tool in anvil cast forge; do
  bin=node_modules/@foundry-rs/$tool-linux-amd64/bin/$tool
  [ -x "$bin" ] || { log "$bin is missing after npm ci"; exit 1; }
done
log "anvil: $(node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil --version | head -1)"

# 2. Build everything the tests use.
log "building (cargo build --all-targets)"
cargo build --all-targets --locked
log "done"
