#!/usr/bin/env bash
# Idempotent setup: installs everything sluice's tests and demo need from the package registries, then
# builds. A second run only checks and takes seconds.
#   - foundry binaries (anvil, cast, forge) and light artifact packages (uniswap, weth, solc) pinned in
#     package.json / package-lock.json, from npm;
#   - heavy artifact packages (balancer, perp, mento, celo devchain) fetched alone with `npm pack`, verified,
#     and only the needed JSON extracted into .sluice-cache/artifacts/;
#   - our test contracts (contracts-test/) compiled with forge + npm solc;
#   - the project itself (cargo build, all targets of the workspace: library, sim/, cli/).
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

# 2. Protocol artifacts from heavy npm packages. `npm install` of these would pull hardhat and more (hundreds of
#    MB), so each tarball is fetched alone with `npm pack`, checked against its pinned sha512, and only the
#    listed files are extracted to .sluice-cache/artifacts/<tarball name>/ (the `package/` prefix dropped).
#    A package is skipped when its stamp says the same pin and file list were extracted already.
packs=.sluice-cache/npm
arts=.sluice-cache/artifacts
mkdir -p "$packs" "$arts"
packed_artifacts() { # <package> <version> <sha512 integrity> <file inside package/>...
  local pkg=$1 ver=$2 integrity=$3; shift 3
  local base; base="$(printf '%s' "${pkg#@}" | tr '/' '-')-$ver"
  local tgz="$packs/$base.tgz" dest="$arts/$base"
  local want; want=$(printf '%s\n' "$integrity" "$@" | sha256sum | cut -d' ' -f1)
  if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$want" ]; then return 0; fi
  if [ ! -f "$tgz" ]; then
    log "fetching $pkg@$ver (npm pack)"
    (cd "$packs" && npm pack --silent --loglevel=error "$pkg@$ver" >/dev/null)
  fi
  local got; got="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
  if [ "$got" != "$integrity" ]; then
    log "$tgz: sha512 mismatch (got $got, want $integrity); deleting it"
    rm -f "$tgz"; exit 1
  fi
  rm -rf "$dest"; mkdir -p "$dest"
  local members=(); for f in "$@"; do members+=("package/$f"); done
  tar -xzf "$tgz" -C "$dest" --strip-components=1 "${members[@]}"
  echo "$want" > "$dest/.stamp"
  log "extracted $# files of $pkg@$ver"
}
perp=build/contracts/src
packed_artifacts @perp/contract 2.2.0 \
  'sha512-4InkmNiDnkYRcu5ENmPDN1zviHhsC/GPHIcddhmQBOBfnEhHwo5Nxvao2EBvkw31iyner9EcjD/knVYnm3HEuw==' \
  $perp/ClearingHouse.sol/ClearingHouse.json $perp/Amm.sol/Amm.json \
  $perp/InsuranceFund.sol/InsuranceFund.json $perp/ClearingHouseViewer.sol/ClearingHouseViewer.json \
  $perp/AmmReader.sol/AmmReader.json $perp/mock/mocks/L2PriceFeedMock.sol/L2PriceFeedMock.json
bal=dist/tasks
packed_artifacts @balancer-labs/v2-deployments 3.2.0 \
  'sha512-pghD7qyTVp1832d7F7yHgAeh/EZvS2/GLvUx9ieM671NMh1KTprYZOBCpEVVC9JnE1Vpru5rc9DDNlFw3capVw==' \
  $bal/20210418-authorizer/bytecode/Authorizer.json $bal/20210418-vault/bytecode/Vault.json \
  $bal/20210418-weighted-pool/bytecode/WeightedPoolFactory.json \
  $bal/20220609-stable-pool-v2/bytecode/StablePoolFactory.json \
  $bal/20220721-balancer-queries/bytecode/BalancerQueries.json
mento=dist/factories
packed_artifacts @mento-protocol/mento-core-ts 0.2.3 \
  'sha512-Fjj0t2a6xqpHTbhfafioqjkY9ZDBsq3oy/DkRizihDI2zul/PFQJfQwyy7WDSSc/cNAflevBeSJyqTPTv9HD/Q==' \
  $mento/Broker__factory.js $mento/BiPoolManager__factory.js \
  $mento/ConstantProductPricingModule__factory.js $mento/Reserve__factory.js \
  $mento/SortedOracles__factory.js $mento/BreakerBox__factory.js $mento/ConstantSumPricingModule__factory.js
# Mento's SortedOracles links AddressSortedLinkedListWithMedian, and its Reserve looks contracts up in a Celo
# Registry: both are built only in Celo's devchain package (22 MB tarball, two files used).
packed_artifacts @celo/celo-devchain 7.0.0 \
  'sha512-fVn6in1u06RnSpZemyk4dJb6Rqn/QUVfgbJakp0ebhYswiKpw9zVQp4eb6HD2TIh/10vkbnO4X6y9+n9EzgtnQ==' \
  contracts/contracts-mento/AddressSortedLinkedListWithMedian.json contracts/contracts-mento/Registry.json
# SwapRouter02 (Uniswap's router on chains without SwapRouter, e.g. Celo): `npm install` of this package pulls
# hardhat, so it is packed alone like the others; its ABI is abis/SwapRouter02.json, its bytecode for tests.
packed_artifacts @uniswap/swap-router-contracts 1.3.1 \
  'sha512-mh/YNbwKb7Mut96VuEtL+Z5bRe0xVIbjjiryn+iMMrK2sFKhR4duk/86mEz0UO5gSx4pQIw9G5276P5heY/7Rg==' \
  artifacts/contracts/SwapRouter02.sol/SwapRouter02.json

# 3. Our own test contracts (contracts-test/), compiled offline by the pinned forge with the npm solc package
#    through contracts-test/solc. forge's cache makes a second run instant.
log "compiling contracts-test (forge + solcjs)"
(cd contracts-test && ../node_modules/@foundry-rs/forge-linux-amd64/bin/forge build --offline --quiet)

# 4. Build everything the tests use.
log "building (cargo build --workspace --all-targets)"
cargo build --workspace --all-targets --locked

# 5. The deployment snapshot every chain test starts from (built once per change of its inputs; a second
#    run finds it in .sluice-cache/anvil/ and returns at once).
# `cargo run` finds the binary wherever the target folder is (CARGO_TARGET_DIR included).
snapshot=$(cargo run --quiet --locked -- anvil snapshot)
log "$snapshot"
log "done"
