"""govwatch: monitoring of government websites and government new-media accounts."""
__version__ = "0.1.0"
