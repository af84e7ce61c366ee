"""Shipped lexicon data (one UTF-8 ``.txt`` file per category); see README.md."""
from pathlib import Path

LEXICON_DIR = Path(__file__).parent
