"""Persistence. Only this package talks to a database (see docs/architecture.md, "Layers")."""
from __future__ import annotations

from pathlib import Path

from govwatch.store.base import (
    ColumnState, FindingFilter, Store, StoreError, TargetSummary, UpsertResult,
)

__all__ = ["ColumnState", "FindingFilter", "Store", "StoreError", "TargetSummary", "UpsertResult", "open_store"]


def open_store(db: str | None = None, settings=None, *, read_only: bool = False) -> Store:
    """Open the store named by a ``sqlite:///path`` or ``mongodb://…`` URL (default: settings.db).

    ``read_only``: for a caller that must not change the database (a draft check): an existing
    database only (a missing SQLite file is a ``StoreError``, no directory or file is created), no
    schema set-up or migration; SQLite opens the file read-only, MongoDB creates no index."""
    if settings is None:
        from govwatch.settings import load_settings
        settings = load_settings()
    url = db or settings.db
    if url.startswith("sqlite:///"):
        from govwatch.store.sqlite import SqliteStore
        path = url[len("sqlite:///"):]
        snapshots = settings.snapshot_dir if path != ":memory:" and Path(path).parent == settings.var_path else None
        return SqliteStore(path, snapshot_dir=snapshots, read_only=read_only)
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from govwatch.store.mongo import MongoStore
        return MongoStore(url, read_only=read_only)
    raise StoreError(f"无法识别的数据库地址 GOVWATCH_DB={url!r}：应为 sqlite:///路径 或 mongodb://主机/库名")
