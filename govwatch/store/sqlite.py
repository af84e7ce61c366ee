"""Embedded store: SQLite in WAL mode, indexed columns plus JSON, snapshots as gzip files."""
from __future__ import annotations

import dataclasses
import gzip
import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from govwatch.models import (
    UTC, Alert, Check, Column, Contact, Finding, Item, Maintenance, Run, Target, aware, gc_paused,
    stable_id,
)
from govwatch.redact import redact_data
from govwatch.store.base import (
    ColumnState, FindingFilter, StoreError, TargetSummary, UpsertResult, apply_transition, compress,
    ignore_rule_record, merge_finding, merge_registry, snapshot_key, stamp, storage_error_message,
)

SCHEMA_VERSION = 1
_STORAGE_WORDS = ("full", "malformed", "not a database", "readonly", "disk i/o", "corrupt")


def _rollback(db) -> None:
    try:
        db.execute("ROLLBACK")
    except sqlite3.Error:
        pass  # SQLite already rolled back (a failed COMMIT on a full disk does)


def _storage_failure(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.IntegrityError) \
        and any(w in str(exc).lower() for w in _STORAGE_WORDS)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS targets (
    id TEXT PRIMARY KEY, platform TEXT, owner TEXT, parent TEXT, enabled INTEGER,
    last_published_at TEXT, status TEXT, data TEXT NOT NULL,
    -- collector health, extracted once at write time: nightly detection reads it for every target
    content_type TEXT GENERATED ALWAYS AS (json_extract(data, '$.content_type')) STORED,
    has_rules INTEGER GENERATED ALWAYS AS (coalesce(json_extract(data, '$.rules'), '{}') != '{}') STORED,
    last_crawl_ok_at TEXT GENERATED ALWAYS AS (json_extract(data, '$.last_crawl_ok_at')) STORED,
    consecutive_failures INTEGER GENERATED ALWAYS AS (json_extract(data, '$.consecutive_failures')) STORED,
    error_kind TEXT GENERATED ALWAYS AS (json_extract(data, '$.error_kind')) STORED,
    columns TEXT GENERATED ALWAYS AS (json_extract(data, '$.columns')) STORED);
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY, target_id TEXT NOT NULL, platform TEXT, column_name TEXT, url TEXT,
    title TEXT, published_at TEXT, published_at_source TEXT, source TEXT, author TEXT, text TEXT,
    links TEXT, attachments TEXT, images TEXT, meta TEXT, content_hash TEXT, first_seen_at TEXT,
    last_seen_at TEXT, state TEXT, snapshot TEXT, scanned_with TEXT, parent_url TEXT,
    published_at_precision TEXT);
CREATE INDEX IF NOT EXISTS items_target_published ON items (target_id, published_at);
CREATE INDEX IF NOT EXISTS items_scanned_with ON items (scanned_with);
CREATE TABLE IF NOT EXISTS column_state (
    target_id TEXT NOT NULL, column_name TEXT NOT NULL, last_published_at TEXT, items INTEGER,
    PRIMARY KEY (target_id, column_name));
CREATE TABLE IF NOT EXISTS findings (
    id TEXT PRIMARY KEY, target_id TEXT NOT NULL, item_id TEXT, rule TEXT, severity TEXT,
    status TEXT, first_seen_at TEXT, last_seen_at TEXT, data TEXT NOT NULL, deadline TEXT);
CREATE INDEX IF NOT EXISTS findings_target ON findings (target_id, status);
CREATE INDEX IF NOT EXISTS findings_status ON findings (status, severity);
CREATE INDEX IF NOT EXISTS findings_item ON findings (item_id);
CREATE INDEX IF NOT EXISTS findings_first_seen ON findings (first_seen_at);
-- pages of a listing, newest first (the console's 问题清单): read in index order, stop at the page
CREATE INDEX IF NOT EXISTS findings_seen_order ON findings (first_seen_at, id);
CREATE INDEX IF NOT EXISTS findings_status_seen ON findings (status, severity, first_seen_at, id);
CREATE INDEX IF NOT EXISTS findings_target_seen ON findings (target_id, first_seen_at, id);
CREATE TABLE IF NOT EXISTS checks (
    target_id TEXT NOT NULL, url TEXT, at TEXT NOT NULL, ok INTEGER, http_status INTEGER,
    elapsed_ms INTEGER, error TEXT, tls_expires_at TEXT);
CREATE INDEX IF NOT EXISTS checks_target_at ON checks (target_id, at);
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, dedup_key TEXT, status TEXT, next_attempt_at TEXT, created_at TEXT,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_due ON alerts (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, job TEXT, started_at TEXT, finished_at TEXT, ok INTEGER, stats TEXT,
    error TEXT);
CREATE INDEX IF NOT EXISTS runs_job ON runs (job, started_at);
CREATE TABLE IF NOT EXISTS ignore_rules (id TEXT PRIMARY KEY, created_at TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_log (at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alert_log_at ON alert_log (at);
CREATE TABLE IF NOT EXISTS locks (name TEXT PRIMARY KEY, holder TEXT, expires_at TEXT);
CREATE TABLE IF NOT EXISTS periods (name TEXT PRIMARY KEY, start TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, expires_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS audit (at TEXT NOT NULL, user TEXT, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE TABLE IF NOT EXISTS ocr_cache (sha256 TEXT PRIMARY KEY, at TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ocr_backlog (
    target_id TEXT NOT NULL, url TEXT NOT NULL, at TEXT, data TEXT NOT NULL, PRIMARY KEY (target_id, url));
"""

ITEM_COLUMNS = (
    "id", "target_id", "platform", "column_name", "url", "title", "published_at",
    "published_at_source", "source", "author", "text", "links", "attachments", "images", "meta",
    "content_hash", "first_seen_at", "last_seen_at", "state", "snapshot", "scanned_with", "parent_url",
    "published_at_precision",
)
# Columns added after a database may have been created: (table, column, type), added when missing.
ADDED_COLUMNS = (("items", "published_at_precision", "TEXT"),)
FINDING_COLUMNS = ("id", "target_id", "item_id", "rule", "severity", "status", "first_seen_at", "last_seen_at",
                   "data", "deadline")
_FINDING_WRITE = (f"INSERT OR REPLACE INTO findings ({', '.join(FINDING_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(FINDING_COLUMNS))})")
# Indexes on added columns: created once the columns exist (after the migrations of ``SqliteStore``).
LATE_SCHEMA = """
-- overdue findings (值班台, ``findings overdue``): open statuses, one severity at a time, deadline order
CREATE INDEX IF NOT EXISTS findings_overdue ON findings (status, severity, deadline, id);
"""
# On conflict everything is refreshed except the first sighting; the scan mark survives only
# while the content is unchanged, so changed items are scanned again.
ITEM_UPSERT = (
    f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))}) "
    "ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c}=excluded.{c}" for c in ITEM_COLUMNS
                if c not in ("id", "first_seen_at", "scanned_with"))
    + ", scanned_with=CASE WHEN items.content_hash = excluded.content_hash "
      "THEN items.scanned_with ELSE '' END"
)


def _column_keys(raw: str | None) -> list[tuple[str, str, int | None]]:
    if not raw:
        return []
    return [(c.get("name", ""), c.get("kind") or "news", c.get("max_gap_days")) for c in json.loads(raw)]


def _chunks(ids: list, size: int = 900):
    """Slices of ``ids`` that stay under SQLite's bound-variable limit."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def ts(dt: datetime | None) -> str | None:
    """Fixed-width UTC text, so that string order is time order."""
    if dt is None:
        return None
    return aware(dt).astimezone(UTC).isoformat(timespec="microseconds")


def parse_ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _dumps(value) -> str:
    if not value:  # most items have no attachments, images or meta: skip the encoder
        return "[]" if isinstance(value, list) else "{}" if isinstance(value, dict) else _ENCODER.encode(value)
    return _ENCODER.encode(value)


_TARGET_FIELDS = frozenset(f.name for f in dataclasses.fields(Target))
_TARGET_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Target) if f.default is not dataclasses.MISSING}
_TARGET_FACTORIES = {f.name: f.default_factory for f in dataclasses.fields(Target)
                     if f.default_factory is not dataclasses.MISSING}
_COLUMN_FIELDS = frozenset(f.name for f in dataclasses.fields(Column))
_CONTACT_FIELDS = frozenset(f.name for f in dataclasses.fields(Contact))


def _is_default(name: str, value) -> bool:
    if name in _TARGET_DEFAULTS:
        default = _TARGET_DEFAULTS[name]
        return value is default or (type(value) is type(default) and value == default)
    return name in _TARGET_FACTORIES and not value and value == _TARGET_FACTORIES[name]()


def _target_json(t: Target) -> str:
    """A target's stored document: fields at their default value are left out (the document is
    half as long, and listing 100,000 targets decodes half as much)."""
    return _dumps({k: v for k, v in t.to_dict(jsonable=True).items() if not _is_default(k, v)})


def _target(raw: str) -> Target:
    """``Target.from_dict(json.loads(raw))`` without the generic per-field machinery: nightly
    detection lists every target (100,000 in bench/zombies.py)."""
    d = json.loads(raw)
    if not _TARGET_FIELDS.issuperset(d):
        d = {k: v for k, v in d.items() if k in _TARGET_FIELDS}
    if "id" not in d or "name" not in d:
        return Target.from_dict(d)  # raises the usual error
    for k in Target._datetime_fields:
        v = d.get(k)
        if v is not None:
            d[k] = aware(datetime.fromisoformat(v) if isinstance(v, str) else v)
    if d.get("columns"):
        d["columns"] = [Column(**c) if _COLUMN_FIELDS.issuperset(c) else Column.from_dict(c)
                        for c in d["columns"]]
    if d.get("contacts"):
        d["contacts"] = [Contact(**c) if _CONTACT_FIELDS.issuperset(c) else Contact.from_dict(c)
                         for c in d["contacts"]]
    if d.get("maintenance"):
        d["maintenance"] = Maintenance.parse(d["maintenance"])
    t = object.__new__(Target)  # Target has no __post_init__: fill the fields directly
    fields = t.__dict__
    fields.update(_TARGET_DEFAULTS)
    for k, factory in _TARGET_FACTORIES.items():
        if k not in d:
            fields[k] = factory()
    fields.update(d)
    return t


class SqliteStore:
    def __init__(self, path: str | os.PathLike, snapshot_dir: str | os.PathLike | None = None, *,
                 read_only: bool = False):
        """``read_only``: open an existing database for reading only (a draft check): nothing is
        created (no directory, no file), migrated or written; the connection is ``query_only``, and
        a write raises ``StoreError``. A missing file is a ``StoreError``."""
        self.path = str(path)
        self.read_only = read_only and self.path != ":memory:"
        if self.read_only and not Path(self.path).is_file():
            raise StoreError(f"数据库 {self.path} 不存在")
        if self.path != ":memory:" and not self.read_only:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir else Path(self.path).parent / "snapshots"
        self._local = threading.local()
        self._lock = threading.RLock()
        self._memory_conn = None
        if self.read_only:
            self.db  # noqa: B018 (opens now: an unreadable file is said here, not at the first query)
            return
        self.db.executescript(SCHEMA)  # executescript commits on its own
        for table, column, kind in ADDED_COLUMNS:
            present = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self._migrate_finding_deadlines()
        self.db.executescript(LATE_SCHEMA)
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def _migrate_finding_deadlines(self) -> None:
        """A database from before the ``deadline`` column: add it and fill it from each finding's
        document, in one transaction (a crash leaves the old database as it was, the next open
        migrates again). Rows are updated in place, none is deleted or rewritten otherwise."""
        present = {row[1] for row in self.db.execute("PRAGMA table_info(findings)")}
        if "deadline" in present:
            return
        with self._tx() as db:
            db.execute("ALTER TABLE findings ADD COLUMN deadline TEXT")
            rows = db.execute("SELECT rowid, json_extract(data, '$.deadline') FROM findings "
                              "WHERE json_extract(data, '$.deadline') IS NOT NULL").fetchall()
            db.executemany("UPDATE findings SET deadline=? WHERE rowid=?",
                           [(ts(aware(datetime.fromisoformat(value))), rowid) for rowid, value in rows])

    # connection handling ---------------------------------------------------------
    @property
    def db(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            if self._memory_conn is None:
                self._memory_conn = self._connect()
            return self._memory_conn
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _connect(self) -> sqlite3.Connection:
        try:
            if self.read_only:
                # query_only refuses every write; no journal mode change either (that is a write).
                # Not a mode=ro connection: that one leaves -wal and -shm files it cannot remove.
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA query_only=ON")
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # not a database: said now
                return conn
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error as exc:
            raise StoreError(storage_error_message(exc, f"打开数据库 {self.path} ")) from exc
        return conn

    @contextmanager
    def _tx(self):
        if self.read_only:
            raise StoreError(f"数据库 {self.path} 以只读方式打开，不能写入")
        db = self.db
        with self._lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException as exc:
                _rollback(db)
                if _storage_failure(exc):  # a full disk, a corrupted file: a Chinese error, nothing half-written
                    raise StoreError(storage_error_message(exc, "写入数据库")) from exc
                raise
            try:
                db.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                _rollback(db)
                raise StoreError(storage_error_message(exc, "写入数据库")) from exc

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._memory_conn is not None:
            self._memory_conn.close()
            self._memory_conn = None

    # targets -----------------------------------------------------------------------
    def upsert_targets(self, targets: list[Target]) -> tuple[int, int]:
        """Registry fields are replaced; derived state (last publication, status …) is kept."""
        created = updated = 0
        with self._tx() as db:
            for t in targets:
                row = db.execute("SELECT data FROM targets WHERE id=?", (t.id,)).fetchone()
                if row:
                    t = Target.from_dict(merge_registry(json.loads(row[0]), t))
                    updated += 1
                else:
                    created += 1
                self._write_target(db, t)
        return created, updated

    def _write_target(self, db, t: Target) -> None:
        db.execute(
            "INSERT OR REPLACE INTO targets VALUES (?,?,?,?,?,?,?,?)",
            (t.id, t.platform, t.owner, t.parent, int(t.enabled), ts(t.last_published_at), t.status,
             _target_json(t)))

    def get_target(self, target_id: str) -> Target | None:
        row = self.db.execute("SELECT data FROM targets WHERE id=?", (target_id,)).fetchone()
        return Target.from_dict(json.loads(row[0])) if row else None

    def list_targets(self, enabled_only: bool = False) -> list[Target]:
        sql = "SELECT data FROM targets" + (" WHERE enabled=1" if enabled_only else "") + " ORDER BY id"
        rows = self.db.execute(sql).fetchall()
        with gc_paused():  # 100,000 new objects would trigger many full collections for nothing
            return [_target(r[0]) for r in rows]

    def target_summaries(self, enabled_only: bool = True) -> list[TargetSummary]:
        """Read from the generated columns, without decoding whole documents; fields at their
        default are absent from the compact documents and come back as NULL."""
        sql = ("SELECT id, platform, content_type, has_rules, last_published_at, last_crawl_ok_at, "
               "consecutive_failures, error_kind, columns FROM targets"
               + (" WHERE enabled=1" if enabled_only else "") + " ORDER BY id")
        with gc_paused():
            return [TargetSummary(i, p or "website", ct or "text", bool(rules), parse_ts(pub),
                                  aware(datetime.fromisoformat(ok)) if ok else None, cf or 0, ek or "",
                                  _column_keys(cols))
                    for i, p, ct, rules, pub, ok, cf, ek, cols in self.db.execute(sql)]

    def get_targets(self, target_ids: list[str]) -> list[Target]:
        rows = []
        for chunk in _chunks(list(target_ids)):
            rows += self.db.execute(f"SELECT data FROM targets WHERE id IN ({','.join('?' * len(chunk))})",
                                    chunk).fetchall()
        with gc_paused():
            return sorted((_target(r[0]) for r in rows), key=lambda t: t.id)

    def update_target_state(self, target_id: str, **fields) -> None:
        with self._tx() as db:
            row = db.execute("SELECT data FROM targets WHERE id=?", (target_id,)).fetchone()
            if not row:
                raise StoreError(f"监测对象不存在：{target_id}")
            t = Target.from_dict(json.loads(row[0]))
            for k, v in fields.items():
                setattr(t, k, v)
            self._write_target(db, t)

    # items -------------------------------------------------------------------------
    def upsert_items(self, items: list[Item], at: datetime | None = None) -> UpsertResult:
        at = stamp(at)
        result = UpsertResult()
        if not items:
            return result
        seen_at = ts(at)
        unique = {i.id: i for i in items}  # last one wins within a batch
        with self._tx() as db:
            old = self._hashes(db, list(unique))
            rows = []
            for item in unique.values():
                prev = old.get(item.id)
                if prev is None:
                    result.new.append(item.id)
                elif prev != item.content_hash:
                    result.changed.append(item.id)
                else:
                    result.unchanged += 1
                rows.append((
                    item.id, item.target_id, item.platform, item.column, item.url, item.title,
                    ts(item.published_at), item.published_at_source, item.source, item.author,
                    item.text, _dumps(item.links), _dumps(item.attachments), _dumps(item.images),
                    _dumps(item.meta), item.content_hash, ts(item.first_seen_at) or seen_at,
                    ts(item.last_seen_at) or seen_at, item.state, item.snapshot, item.scanned_with,
                    item.parent_url, item.published_at_precision or ""))
            db.executemany(ITEM_UPSERT, rows)
            self._bump_publication(db, unique.values(), result)
        return result

    @staticmethod
    def _hashes(db, ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(ids):
            sql = f"SELECT id, content_hash FROM items WHERE id IN ({','.join('?' * len(chunk))})"
            found.update(db.execute(sql, chunk).fetchall())
        return found

    @staticmethod
    def _bump_publication(db, items, result: UpsertResult) -> None:
        """Keep per-target and per-column latest publication times current at ingest."""
        new_ids = set(result.new)
        latest: dict[str, str] = {}
        columns: dict[tuple[str, str], list] = {}
        for item in items:
            if item.state != "live":
                continue
            pub = ts(item.freshest_published_at)  # a month-only date counts from its month's end
            key = (item.target_id, item.column or "")
            entry = columns.setdefault(key, [None, 0])
            entry[1] += item.id in new_ids
            if pub:
                if pub > latest.get(item.target_id, ""):
                    latest[item.target_id] = pub
                if entry[0] is None or pub > entry[0]:
                    entry[0] = pub
        if latest:
            db.executemany(
                "UPDATE targets SET last_published_at=?2, "
                "data=json_set(data, '$.last_published_at', ?3) "
                "WHERE id=?1 AND (last_published_at IS NULL OR last_published_at < ?2)",
                [(tid, pub, parse_ts(pub).isoformat()) for tid, pub in latest.items()])
        db.executemany(
            "INSERT INTO column_state VALUES (?,?,?,?) ON CONFLICT(target_id, column_name) DO UPDATE SET "
            "last_published_at=CASE WHEN excluded.last_published_at > coalesce(last_published_at, '') "
            "THEN excluded.last_published_at ELSE last_published_at END, items=items+excluded.items",
            [(tid, col, pub, n) for (tid, col), (pub, n) in columns.items()])

    def _item(self, row) -> Item:
        d = dict(zip(ITEM_COLUMNS, row))
        d["column"] = d.pop("column_name")
        for k in ("links", "attachments", "images", "meta"):
            d[k] = json.loads(d[k]) if d[k] else ([] if k != "meta" else {})
        for k in ("published_at", "first_seen_at", "last_seen_at"):
            d[k] = parse_ts(d[k])
        d["published_at_precision"] = d["published_at_precision"] or ""
        return Item(**d)

    def get_item(self, item_id: str) -> Item | None:
        row = self.db.execute(f"SELECT {', '.join(ITEM_COLUMNS)} FROM items WHERE id=?", (item_id,)).fetchone()
        return self._item(row) if row else None

    def iter_items(self, target_id: str | None = None, not_scanned_with: str | None = None,
                   batch: int = 500) -> Iterator[Item]:
        where, args = [], []
        if target_id:
            where.append("target_id=?")
            args.append(target_id)
        if not_scanned_with is not None:
            where.append("scanned_with != ?")
            args.append(not_scanned_with)
        sql = f"SELECT {', '.join(ITEM_COLUMNS)} FROM items"
        if where:
            sql += " WHERE " + " AND ".join(where)
        last = ""
        # keyset pagination: no long-lived read cursor while the caller writes
        while True:
            page_sql = sql + (" AND " if where else " WHERE ") + "id > ? ORDER BY id LIMIT ?"
            rows = self.db.execute(page_sql, [*args, last, batch]).fetchall()
            if not rows:
                return
            for row in rows:
                yield self._item(row)
            last = rows[-1][0]

    def item_signatures(self, target_id: str) -> dict[str, tuple[str, str, str]]:
        """url → (content_hash, etag-or-last-modified validator, title) for incremental crawling."""
        rows = self.db.execute(
            "SELECT url, content_hash, json_extract(meta, '$.validator'), title FROM items WHERE target_id=?",
            (target_id,))
        return {url: (h, v or "", title or "") for url, h, v, title in rows}

    def mark_scanned(self, item_ids: list[str], version: str) -> None:
        with self._tx() as db:
            db.executemany("UPDATE items SET scanned_with=? WHERE id=?", [(version, i) for i in item_ids])

    def set_item_state(self, item_id: str, state: str, at: datetime | None = None) -> None:
        with self._tx() as db:
            db.execute("UPDATE items SET state=?, last_seen_at=? WHERE id=?", (state, ts(stamp(at)), item_id))

    def column_states(self, target_id: str | None = None,
                      target_ids: list[str] | None = None) -> list[ColumnState]:
        sql = "SELECT target_id, column_name, last_published_at, items FROM column_state"
        if target_id:
            rows = self.db.execute(sql + " WHERE target_id=?", (target_id,)).fetchall()
        elif target_ids is not None and len(target_ids) > 2000:
            # many targets: one scan of the table beats dozens of IN (...) lookups
            wanted = set(target_ids)
            rows = [r for r in self.db.execute(sql).fetchall() if r[0] in wanted]
        elif target_ids is not None:
            rows = []
            for chunk in _chunks(list(target_ids)):
                rows += self.db.execute(f"{sql} WHERE target_id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        else:
            rows = self.db.execute(sql).fetchall()
        return [ColumnState(t, c, parse_ts(p), n) for t, c, p, n in rows]

    def column_states_before(self, target_id: str, horizon: datetime) -> list[ColumnState]:
        """Column states of one target from its live items as they stood at ``horizon``: every
        live item counted, the newest publication not after ``horizon`` (one aggregate query; the
        items themselves are not loaded)."""
        rows = self.db.execute(
            "SELECT coalesce(column_name, ''), COUNT(*), MAX(CASE WHEN published_at <= ? THEN published_at END) "
            "FROM items WHERE target_id=? AND state='live' GROUP BY coalesce(column_name, '')",
            (ts(horizon), target_id)).fetchall()
        return [ColumnState(target_id, c, parse_ts(p), n) for c, n, p in rows]

    def record_column_listing(self, target_id: str, column: str, latest: datetime | None,
                              entries: int) -> None:
        """A column's list page shows its newest date and how many entries it has: fold that in
        (the latest date never moves back, so a deleted item cannot make a column look fresher)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO column_state VALUES (?,?,?,?) ON CONFLICT(target_id, column_name) DO UPDATE SET "
                "last_published_at=CASE WHEN coalesce(excluded.last_published_at, '') > coalesce(last_published_at, '') "
                "THEN excluded.last_published_at ELSE last_published_at END, "
                "items=max(items, excluded.items)", (target_id, column, ts(latest), entries))

    def count_items(self, target_id: str | None = None) -> int:
        if target_id:
            return self.db.execute("SELECT count(*) FROM items WHERE target_id=?", (target_id,)).fetchone()[0]
        return self.db.execute("SELECT count(*) FROM items").fetchone()[0]

    # findings ----------------------------------------------------------------------
    def _write_finding(self, db, f: Finding) -> None:
        db.execute(
            _FINDING_WRITE,
            (f.id, f.target_id, f.item_id, f.rule, f.effective_severity, f.status,
             ts(f.first_seen_at), ts(f.last_seen_at), _dumps(f.to_dict(jsonable=True)), ts(f.deadline)))

    def upsert_findings(self, findings: list[Finding], at: datetime | None = None) -> UpsertResult:
        at = stamp(at)
        result = UpsertResult()
        with self._tx() as db:
            for f in {f.id: f for f in findings}.values():
                row = db.execute("SELECT data FROM findings WHERE id=?", (f.id,)).fetchone()
                old = Finding.from_dict(json.loads(row[0])) if row else None
                (result.changed if old else result.new).append(f.id)
                self._write_finding(db, merge_finding(old, f, at))
        return result

    def get_finding(self, finding_id: str) -> Finding | None:
        row = self.db.execute("SELECT data FROM findings WHERE id=?", (finding_id,)).fetchone()
        return Finding.from_dict(json.loads(row[0])) if row else None

    @staticmethod
    def _finding_where(flt: FindingFilter) -> tuple[str, list]:
        where, args = [], []

        def any_of(column, values):
            values = list(values)
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)

        if flt.status:
            any_of("status", flt.status)
        if flt.severity:
            any_of("severity", flt.severity)
        if flt.target_id:
            any_of("target_id", [flt.target_id])
        if flt.target_ids is not None:
            any_of("target_id", flt.target_ids)
        if flt.item_id:
            any_of("item_id", [flt.item_id])
        if flt.rule_prefix:
            where.append("rule LIKE ?")
            args.append(flt.rule_prefix.replace("%", "") + "%")
        if flt.since:
            where.append("first_seen_at >= ?")
            args.append(ts(flt.since))
        if flt.until:
            where.append("first_seen_at < ?")
            args.append(ts(flt.until))
        if flt.seen_since:
            where.append("last_seen_at >= ?")
            args.append(ts(flt.seen_since))
        if flt.deadline_before:
            where.append("deadline < ?")
            args.append(ts(flt.deadline_before))
        return (" WHERE " + " AND ".join(where)) if where else "", args

    def list_findings(self, flt: FindingFilter | None = None) -> list[Finding]:
        flt = flt or FindingFilter()
        where, args = self._finding_where(flt)
        if flt.by_deadline:
            order = " ORDER BY deadline, id"
        else:
            order = " ORDER BY first_seen_at DESC, id DESC" if flt.newest_first else " ORDER BY first_seen_at, id"
        if flt.limit or flt.offset:
            # a page: pick the rows from the (covering) indexes first, then read only their documents
            # (sorting whole documents of 60,000 open findings to keep 50 costs a hundred times more)
            page = f" LIMIT {int(flt.limit) if flt.limit else -1} OFFSET {int(flt.offset or 0)}"
            sql = f"SELECT data FROM findings WHERE rowid IN (SELECT rowid FROM findings{where}{order}{page}){order}"
        else:
            sql = "SELECT data FROM findings" + where + order
        return [Finding.from_dict(json.loads(r[0])) for r in self.db.execute(sql, args)]

    def count_findings(self, flt: FindingFilter | None = None) -> int:
        where, args = self._finding_where(flt or FindingFilter())
        return self.db.execute("SELECT count(*) FROM findings" + where, args).fetchone()[0]

    def transition_finding(self, finding_id: str, to: str, by: str = "system", note: str = "",
                           at: datetime | None = None, evidence: dict | None = None) -> Finding:
        with self._tx() as db:
            row = db.execute("SELECT data FROM findings WHERE id=?", (finding_id,)).fetchone()
            if not row:
                raise StoreError(f"问题不存在：{finding_id}")
            f = apply_transition(Finding.from_dict(json.loads(row[0])), to, by, note, stamp(at), evidence)
            self._write_finding(db, f)
        return f

    def update_finding(self, finding_id: str, **fields) -> None:
        with self._tx() as db:
            row = db.execute("SELECT data FROM findings WHERE id=?", (finding_id,)).fetchone()
            if not row:
                raise StoreError(f"问题不存在：{finding_id}")
            f = Finding.from_dict(json.loads(row[0]))
            for k, v in fields.items():
                setattr(f, k, v)
            self._write_finding(db, f)

    def set_deadlines(self, deadlines: dict[str, datetime | None]) -> int:
        """Many findings' deadlines at once (a changed deadline table), everything else left as it
        is; one transaction. Returns how many findings exist among the ids."""
        rows = [(ts(d), aware(d).isoformat() if d else None, fid) for fid, d in deadlines.items()]
        with self._tx() as db:
            before = db.total_changes
            db.executemany("UPDATE findings SET deadline=?, data=json_set(data, '$.deadline', ?) WHERE id=?", rows)
            return db.total_changes - before

    # meta --------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def put_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # checks ------------------------------------------------------------------------
    def record_checks(self, checks: list[Check]) -> None:
        with self._tx() as db:
            db.executemany("INSERT INTO checks VALUES (?,?,?,?,?,?,?,?)", [
                (c.target_id, c.url, ts(c.at), int(c.ok), c.http_status, c.elapsed_ms, c.error,
                 ts(c.tls_expires_at)) for c in checks])

    def list_checks(self, target_id: str, since: datetime | None = None) -> list[Check]:
        rows = self.db.execute(
            "SELECT target_id, url, at, ok, http_status, elapsed_ms, error, tls_expires_at FROM checks "
            "WHERE target_id=? AND at >= ? ORDER BY at", (target_id, ts(since) or ""))
        return [Check(t, u, parse_ts(a), bool(ok), s, e, err or "", parse_ts(tls))
                for t, u, a, ok, s, e, err, tls in rows]

    # alerts ------------------------------------------------------------------------
    def _write_alert(self, db, a: Alert, replace: bool) -> int:
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        cur = db.execute(f"{verb} INTO alerts VALUES (?,?,?,?,?,?)", (
            a.id, a.dedup_key, a.status, ts(a.next_attempt_at), ts(a.created_at),
            _dumps(a.to_dict(jsonable=True))))
        return cur.rowcount

    def enqueue_alerts(self, alerts: list[Alert]) -> int:
        """Insert alerts not seen before (same dedup key, channel and recipient): returns how many."""
        at = stamp(None)
        added = 0
        with self._tx() as db:
            for a in alerts:
                a.created_at = a.created_at or at
                a.next_attempt_at = a.next_attempt_at or a.created_at
                added += self._write_alert(db, a, replace=False)
        return added

    def due_alerts(self, at: datetime, limit: int = 100) -> list[Alert]:
        rows = self.db.execute(
            "SELECT data FROM alerts WHERE status='pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?", (ts(at), limit))
        return [Alert.from_dict(json.loads(r[0])) for r in rows]

    def update_alert(self, alert_id: str, **fields) -> None:
        with self._tx() as db:
            row = db.execute("SELECT data FROM alerts WHERE id=?", (alert_id,)).fetchone()
            if not row:
                raise StoreError(f"提醒不存在：{alert_id}")
            a = Alert.from_dict(json.loads(row[0]))
            for k, v in fields.items():
                setattr(a, k, v)
            self._write_alert(db, a, replace=True)

    def list_alerts(self, status: str | None = None, limit: int = 200) -> list[Alert]:
        sql, args = "SELECT data FROM alerts", []
        if status:
            sql += " WHERE status=?"
            args.append(status)
        sql += " ORDER BY created_at DESC, id LIMIT ?"
        return [Alert.from_dict(json.loads(r[0])) for r in self.db.execute(sql, [*args, limit])]

    # runs --------------------------------------------------------------------------
    def start_run(self, job: str, at: datetime | None = None) -> Run:
        at = stamp(at)
        run = Run(job=job, started_at=at, id=stable_id(job, at.isoformat(), str(os.getpid())))
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?)",
                       (run.id, job, ts(at), None, None, "{}", ""))
        return run

    def finish_run(self, run: Run, ok: bool, stats: dict | None = None, error: str = "",
                   at: datetime | None = None) -> None:
        run.finished_at, run.ok, run.stats, run.error = stamp(at), ok, stats or {}, error
        with self._tx() as db:
            db.execute("UPDATE runs SET finished_at=?, ok=?, stats=?, error=? WHERE id=?",
                       (ts(run.finished_at), int(ok), _dumps(run.stats), error, run.id))

    def list_runs(self, job: str | None = None, limit: int = 50) -> list[Run]:
        sql, args = "SELECT id, job, started_at, finished_at, ok, stats, error FROM runs", []
        if job:
            sql += " WHERE job=?"
            args.append(job)
        sql += " ORDER BY started_at DESC LIMIT ?"
        return [Run(job=j, started_at=parse_ts(s), finished_at=parse_ts(f),
                    ok=None if ok is None else bool(ok), stats=json.loads(st or "{}"), error=e or "", id=i)
                for i, j, s, f, ok, st, e in self.db.execute(sql, [*args, limit])]

    # timeline ----------------------------------------------------------------------
    def publication_times(self, target_ids: list[str], since: datetime,
                          until: datetime) -> dict[str, list[datetime]]:
        out: dict[str, list[datetime]] = {t: [] for t in target_ids}
        for chunk in _chunks(list(target_ids)):
            rows = self.db.execute(
                f"SELECT target_id, published_at FROM items WHERE target_id IN ({','.join('?' * len(chunk))}) "
                "AND published_at >= ? AND published_at < ? AND state='live' ORDER BY target_id, published_at",
                [*chunk, ts(since), ts(until)])
            for tid, pub in rows:
                out[tid].append(parse_ts(pub))
        return out

    # people's decisions and logs ---------------------------------------------------
    def add_ignore_rule(self, rule: dict) -> str:
        rule = ignore_rule_record(rule)
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO ignore_rules VALUES (?,?,?)",
                       (rule["id"], rule["created_at"], _dumps(rule)))
        return rule["id"]

    def list_ignore_rules(self) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT data FROM ignore_rules ORDER BY created_at, id")]

    def delete_ignore_rule(self, rule_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM ignore_rules WHERE id=?", (rule_id,)).rowcount > 0

    def log_alert_event(self, event: dict) -> None:
        event = redact_data(event)  # webhook tokens, signing secrets, SMTP credentials never stored
        at = event.get("at") or stamp(None).isoformat()
        with self._tx() as db:
            db.execute("INSERT INTO alert_log VALUES (?,?)", (at, _dumps({**event, "at": at})))

    def list_alert_log(self, limit: int = 200) -> list[dict]:
        rows = self.db.execute("SELECT data FROM alert_log ORDER BY at DESC, rowid DESC LIMIT ?", (limit,))
        return [json.loads(r[0]) for r in rows]

    # sensitive periods -------------------------------------------------------------
    def put_period(self, period: dict) -> bool:
        """Store a period under its name; False (nothing stored) when the name is taken."""
        with self._tx() as db:
            return db.execute("INSERT OR IGNORE INTO periods VALUES (?,?,?)",
                              (period["name"], period["start"], _dumps(period))).rowcount > 0

    def get_period(self, name: str) -> dict | None:
        row = self.db.execute("SELECT data FROM periods WHERE name=?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def list_periods(self) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT data FROM periods ORDER BY start, name")]

    def delete_period(self, name: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM periods WHERE name=?", (name,)).rowcount > 0

    # single-instance locks ---------------------------------------------------------
    # text read from images (OCR): once per image, by SHA-256; images left for the next round
    def get_ocr(self, sha256: str) -> dict | None:
        row = self.db.execute("SELECT data FROM ocr_cache WHERE sha256=?", (sha256,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_ocr(self, sha256: str, result: dict, at: datetime | None = None) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO ocr_cache VALUES (?,?,?)", (sha256, ts(stamp(at)), _dumps(result)))

    def add_ocr_backlog(self, target_id: str, entries: list[dict], at: datetime | None = None) -> None:
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO ocr_backlog VALUES (?,?,?,?)",
                           [(target_id, e["url"], ts(stamp(at)), _dumps(e)) for e in entries])

    def take_ocr_backlog(self, target_id: str, limit: int = 100) -> list[dict]:
        with self._tx() as db:
            rows = db.execute("SELECT url, data FROM ocr_backlog WHERE target_id=? ORDER BY at, url LIMIT ?",
                              (target_id, limit)).fetchall()
            db.executemany("DELETE FROM ocr_backlog WHERE target_id=? AND url=?", [(target_id, r[0]) for r in rows])
        return [json.loads(r[1]) for r in rows]

    def try_lock(self, name: str, holder: str, ttl_seconds: int, at: datetime | None = None) -> bool:
        """Take or refresh a lock; an expired lock (its holder died) can be taken over."""
        from datetime import timedelta
        at = stamp(at)
        with self._tx() as db:
            row = db.execute("SELECT holder, expires_at FROM locks WHERE name=?", (name,)).fetchone()
            if row and row[0] != holder and row[1] > ts(at):
                return False
            db.execute("INSERT OR REPLACE INTO locks VALUES (?,?,?)",
                       (name, holder, ts(at + timedelta(seconds=ttl_seconds))))
        return True

    def release_lock(self, name: str, holder: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM locks WHERE name=? AND holder=?", (name, holder))

    # console users, sessions and the audit trail ------------------------------------
    def put_user(self, user: dict) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO users VALUES (?,?)", (user["name"], _dumps(user)))

    def get_user(self, name: str) -> dict | None:
        row = self.db.execute("SELECT data FROM users WHERE name=?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def list_users(self) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT data FROM users ORDER BY name")]

    def update_user(self, name: str, **fields) -> dict:
        with self._tx() as db:
            row = db.execute("SELECT data FROM users WHERE name=?", (name,)).fetchone()
            if not row:
                raise StoreError(f"用户不存在：{name}")
            user = {**json.loads(row[0]), **fields, "name": name}
            db.execute("UPDATE users SET data=? WHERE name=?", (_dumps(user), name))
        return user

    def create_session(self, session: dict) -> None:
        """``session``: id, user, expires_at (aware datetime) and whatever else the console keeps."""
        expires = aware(session["expires_at"])
        data = {k: v for k, v in session.items() if k != "expires_at"}
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ?", (ts(stamp(None)),))
            db.execute("INSERT INTO sessions VALUES (?,?,?,?)", (session["id"], session["user"], ts(expires),
                                                                  _dumps(data)))

    def get_session(self, session_id: str, at: datetime | None = None) -> dict | None:
        """The session, unless it is unknown or expired at ``at``."""
        row = self.db.execute("SELECT expires_at, data FROM sessions WHERE id=? AND expires_at > ?",
                              (session_id, ts(stamp(at)))).fetchone()
        return {**json.loads(row[1]), "expires_at": parse_ts(row[0])} if row else None

    def get_session_user(self, session_id: str, at: datetime | None = None) -> tuple[dict, dict | None] | None:
        """``get_session`` and the ``get_user`` of its user (None when the account is gone) in one
        query: the console asks on every request."""
        row = self.db.execute("SELECT s.expires_at, s.data, u.data FROM sessions s LEFT JOIN users u ON u.name = s.user "
                              "WHERE s.id=? AND s.expires_at > ?", (session_id, ts(stamp(at)))).fetchone()
        if row is None:
            return None
        return {**json.loads(row[1]), "expires_at": parse_ts(row[0])}, json.loads(row[2]) if row[2] else None

    def extend_session(self, session_id: str, expires_at: datetime) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET expires_at=? WHERE id=?", (ts(expires_at), session_id))

    def delete_session(self, session_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE id=?", (session_id,))

    def delete_user_sessions(self, name: str) -> int:
        with self._tx() as db:
            return db.execute("DELETE FROM sessions WHERE user=?", (name,)).rowcount

    def log_audit(self, event: dict) -> None:
        """Who did what and when in the console: logins, triage, releases, evidence opened."""
        at = event.get("at") or stamp(None).isoformat()
        with self._tx() as db:
            db.execute("INSERT INTO audit VALUES (?,?,?)", (at, event.get("user", ""), _dumps({**event, "at": at})))

    def list_audit(self, limit: int = 200, user: str | None = None) -> list[dict]:
        sql, args = "SELECT data FROM audit", []
        if user:
            sql += " WHERE user=?"
            args.append(user)
        sql += " ORDER BY at DESC, rowid DESC LIMIT ?"
        return [json.loads(r[0]) for r in self.db.execute(sql, [*args, limit])]

    # snapshots ---------------------------------------------------------------------
    def _snapshot_path(self, key: str) -> Path:
        return self.snapshot_dir / key[:2] / f"{key}.gz"

    def put_snapshot(self, raw: bytes) -> str:
        key = snapshot_key(raw)
        path = self._snapshot_path(key)
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_bytes(compress(raw))
                os.replace(tmp, path)  # atomic: a reader never sees half a snapshot
            except OSError as exc:
                tmp.unlink(missing_ok=True)  # nothing half-written is left behind
                raise StoreError(storage_error_message(exc, "保存页面快照")) from exc
        return key

    def get_snapshot(self, sha256: str) -> bytes | None:
        if not all(c in "0123456789abcdef" for c in sha256) or len(sha256) != 64:
            return None
        path = self._snapshot_path(sha256)
        return gzip.decompress(path.read_bytes()) if path.exists() else None
