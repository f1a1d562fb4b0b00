#!/usr/bin/env python3
"""Writes abis/<Name>.json: the ABI array alone, taken from the official npm artifacts that
scripts/setup.sh installs (node_modules/, .sluice-cache/artifacts/). See abis/README.md.

Run from the repository root: python3 abis/extract.py
"""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
NM = ROOT / "node_modules"
V3P = "@uniswap/v3-periphery/artifacts/contracts"
V3C = "@uniswap/v3-core/artifacts/contracts"

# name -> (package, path inside node_modules)
SOURCES = {
    "UniswapV2Factory": ("@uniswap/v2-core", "@uniswap/v2-core/build/UniswapV2Factory.json"),
    "UniswapV2Pair": ("@uniswap/v2-core", "@uniswap/v2-core/build/UniswapV2Pair.json"),
    "UniswapV2Router02": (
        "@uniswap/v2-periphery",
        "@uniswap/v2-periphery/build/UniswapV2Router02.json",
    ),
    "UniswapV3Factory": (
        "@uniswap/v3-core",
        f"{V3C}/UniswapV3Factory.sol/UniswapV3Factory.json",
    ),
    "UniswapV3Pool": ("@uniswap/v3-core", f"{V3C}/UniswapV3Pool.sol/UniswapV3Pool.json"),
    "SwapRouter": ("@uniswap/v3-periphery", f"{V3P}/SwapRouter.sol/SwapRouter.json"),
    "QuoterV2": ("@uniswap/v3-periphery", f"{V3P}/lens/QuoterV2.sol/QuoterV2.json"),
    "TickLens": ("@uniswap/v3-periphery", f"{V3P}/lens/TickLens.sol/TickLens.json"),
    "NonfungiblePositionManager": (
        "@uniswap/v3-periphery",
        f"{V3P}/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
    ),
    "WETH9": ("canonical-weth", "canonical-weth/build/contracts/WETH9.json"),
    "ERC20": ("@openzeppelin/contracts", "@openzeppelin/contracts/build/contracts/ERC20.json"),
}

# name -> (package@version, path inside .sluice-cache/artifacts/<dir>/), fetched by scripts/setup.sh
CACHE = ROOT / ".sluice-cache" / "artifacts"
PERP = ("@perp/contract@2.2.0", "perp-contract-2.2.0")
CELO = ("@celo/celo-devchain@7.0.0", "celo-celo-devchain-7.0.0")
MENTO = ("@mento-protocol/mento-core-ts@0.2.3", "mento-protocol-mento-core-ts-0.2.3")
ROUTER02 = ("@uniswap/swap-router-contracts@1.3.1", "uniswap-swap-router-contracts-1.3.1")
CACHED = {
    "SwapRouter02": (ROUTER02, "artifacts/contracts/SwapRouter02.sol/SwapRouter02.json"),
    "PerpClearingHouse": (PERP, "build/contracts/src/ClearingHouse.sol/ClearingHouse.json"),
    "PerpAmm": (PERP, "build/contracts/src/Amm.sol/Amm.json"),
    "PerpInsuranceFund": (PERP, "build/contracts/src/InsuranceFund.sol/InsuranceFund.json"),
    "CeloRegistry": (CELO, "contracts/contracts-mento/Registry.json"),
    "MentoBroker": (MENTO, "dist/factories/Broker__factory.js"),
    "MentoBiPoolManager": (MENTO, "dist/factories/BiPoolManager__factory.js"),
    "MentoReserve": (MENTO, "dist/factories/Reserve__factory.js"),
    "MentoSortedOracles": (MENTO, "dist/factories/SortedOracles__factory.js"),
    "MentoConstantProductPricingModule": (
        MENTO,
        "dist/factories/ConstantProductPricingModule__factory.js",
    ),
}

# A TypeChain factory holds its ABI as a JS literal, `var _abi = [...];`: node evaluates it alone.
JS_ABI = """
const src = require('fs').readFileSync(process.argv[1], 'utf8');
const m = src.match(/var _abi = (\\[[\\s\\S]*?\\n\\]);/);
if (!m) { process.exit(2); }
process.stdout.write(JSON.stringify(require('vm').runInNewContext(m[1])));
"""


def abi_of(path: pathlib.Path) -> list:
    if path.suffix == ".js":
        out = subprocess.run(["node", "-e", JS_ABI, str(path)], check=True, capture_output=True)
        return json.loads(out.stdout)
    artifact = json.loads(path.read_text())
    return artifact["abi"] if isinstance(artifact, dict) else artifact


def version(package: str) -> str:
    return json.loads((NM / package / "package.json").read_text())["version"]


def main() -> int:
    out = pathlib.Path(__file__).resolve().parent
    for name, (package, path) in SOURCES.items():
        abi = abi_of(NM / path)
        (out / f"{name}.json").write_text(json.dumps(abi, indent=1) + "\n")
        inner = path.split("/", 2 if package.startswith("@") else 1)[-1]
        print(f"| `{name}.json` | `{package}@{version(package)}` | `{inner}` |")
    for name, ((package, folder), path) in CACHED.items():
        abi = abi_of(CACHE / folder / path)
        (out / f"{name}.json").write_text(json.dumps(abi, indent=1) + "\n")
        print(f"| `{name}.json` | `{package}` | `{path}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
