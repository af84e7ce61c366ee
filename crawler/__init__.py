"""Everything that fetches: spiders, extraction (pure functions) and the availability probe."""
