#!/usr/bin/env python3
"""Writes abis/<Name>.json: the ABI array alone, taken from the official npm artifacts that
scripts/setup.sh installs (node_modules/, .sluice-cache/artifacts/). See abis/README.md.

Run from the repository root: python3 abis/extract.py
"""
import json
import pathlib
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


def version(package: str) -> str:
    return json.loads((NM / package / "package.json").read_text())["version"]


def main() -> int:
    out = pathlib.Path(__file__).resolve().parent
    for name, (package, path) in SOURCES.items():
        artifact = json.loads((NM / path).read_text())
        abi = artifact["abi"] if isinstance(artifact, dict) else artifact
        (out / f"{name}.json").write_text(json.dumps(abi, indent=1) + "\n")
        print(f"| `{name}.json` | `{package}@{version(package)}` | `{path.split('/', 2 if package.startswith('@') else 1)[-1]}` |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
