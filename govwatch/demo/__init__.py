"""The local site farm: deterministic government websites and accounts for tests, benchmarks and demos.

``from govwatch.demo.farm import Farm`` (also importable as ``govwatch.demo.Farm``). Modules:
``farm`` (server, registry, switches), ``sites`` (websites), ``media`` (WeChat, Weibo, feeds),
``text`` (Chinese text), ``files`` (XLSX, PDF, PNG), ``util`` (hashing, ID numbers, dates), ``web``.
"""


def __getattr__(name: str):
    # Lazy, so that ``python -m govwatch.demo.farm`` does not import the module twice.
    if name == "Farm":
        from govwatch.demo.farm import Farm
        return Farm
    raise AttributeError(name)
