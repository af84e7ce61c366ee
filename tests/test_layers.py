"""The import-linter contracts in pyproject.toml keep up with the code: every command module is in
the independence contract, and the layers name modules that exist."""
import importlib.util
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def _contract(kind: str) -> dict:
    return next(c for c in CONTRACTS if c["type"] == kind)


def test_every_command_module_is_kept_independent():
    listed = set(_contract("independence")["modules"])
    modules = {f"govwatch.commands.{p.stem}" for p in (ROOT / "govwatch" / "commands").glob("*.py")
               if not p.stem.startswith("_")}
    assert modules == listed


def test_layers_name_existing_modules():
    for layer in _contract("layers")["layers"]:
        for name in layer.replace("|", ":").split(":"):
            assert importlib.util.find_spec(name.strip()) is not None, name
