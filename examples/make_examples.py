"""Regenerate examples/targets.csv and examples/targets.xlsx from examples/targets.yaml.

The YAML file is the hand-written source (it keeps its comments); the spreadsheets are what
``govwatch targets export`` writes for the same registry. Run from the repository root:

    python examples/make_examples.py
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from govwatch.registry import export_targets, load_targets  # noqa: E402


def main() -> None:
    targets = load_targets(HERE / "targets.yaml")
    for name in ("targets.csv", "targets.xlsx"):
        export_targets(targets, HERE / name)
        print(f"已生成 {HERE / name}（{len(targets)} 个监测对象）")


if __name__ == "__main__":
    main()
