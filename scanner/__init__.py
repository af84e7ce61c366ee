"""Every judgment of govwatch, as pure functions: imports only
``govwatch.models``, ``govwatch.settings`` and libraries, never the store.

Content checks: ``load_lexicon`` then ``scan_document``.
"""
from .content import scan_document
from .lexicon import Lexicon, check_lexicons, load_lexicon

__all__ = ["Lexicon", "check_lexicons", "load_lexicon", "scan_document"]
