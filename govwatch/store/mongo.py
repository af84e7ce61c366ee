"""MongoDB store through pymongo: one collection per record kind, snapshots in GridFS.

Indexes are created at start. Writes use single-document operations with upserts, which are atomic
per document in MongoDB, so a crash between two writes never leaves a half-written record.
"""
from __future__ import annotations

import gzip
from datetime import date, datetime
from typing import Iterator

from govwatch.models import Alert, Check, Finding, Item, Run, Target, aware, stable_id
from govwatch.redact import redact_data
from govwatch.store.base import (
    ColumnState, FindingFilter, StoreError, TargetSummary, UpsertResult, apply_transition, compress,
    ignore_rule_record, merge_finding, merge_registry, snapshot_key, stamp,
)


def _bson(value):
    """Aware datetimes pass through; plain dates (BSON has none) become ISO strings."""
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _bson(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_bson(v) for v in value]
    return value


def _doc(record) -> dict:
    d = _bson(record.to_dict())
    d["_id"] = d["id"]
    return d


def _load(cls, doc: dict | None):
    if doc is None:
        return None
    doc = dict(doc)
    doc.pop("_id", None)
    return cls.from_dict(doc)


def production_options(uri_options) -> dict:
    """Defaults for a replica set in production, each overridden by the same option in the URI:
    writes acknowledged by a majority (a failover loses no finding), retried once on a failover."""
    given = {k.lower() for k in uri_options}
    defaults = {"w": "majority", "retryWrites": True, "retryReads": True, "serverSelectionTimeoutMS": 5000}
    return {k: v for k, v in defaults.items() if k.lower() not in given}


def mask_uri(uri: str) -> str:
    """The connection string without its password, for messages."""
    scheme, sep, rest = uri.partition("://")
    creds, at, hosts = rest.rpartition("@")
    if not at or ":" not in creds:
        return uri
    return f"{scheme}{sep}{creds.split(':', 1)[0]}:***@{hosts}"


class MongoStore:
    def __init__(self, uri: str | None = None, db_name: str | None = None, client=None, *,
                 read_only: bool = False):
        """``read_only``: for a caller that only reads (a draft check): no index is created."""
        import gridfs
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError
        from pymongo.uri_parser import parse_uri

        self._errors = PyMongoError
        try:
            if client is None:
                parsed = parse_uri(uri)
                client = MongoClient(uri, tz_aware=True, **production_options(parsed.get("options", {})))
                db_name = db_name or parsed.get("database") or "govwatch"
            self.client = client
            self.mdb = client[db_name or "govwatch"]
            self.fs = gridfs.GridFS(self.mdb, collection="snapshots")
            self.read_only = read_only
            if not read_only:
                self._create_indexes()
        except PyMongoError as exc:
            raise StoreError(f"无法连接 MongoDB（{mask_uri(uri or '')}）：{exc}") from exc

    def _create_indexes(self) -> None:
        m = self.mdb
        m.targets.create_index([("enabled", 1)])
        m.items.create_index([("target_id", 1), ("published_at", -1)])
        m.items.create_index([("scanned_with", 1)])
        m.items.create_index([("target_id", 1), ("url", 1)])
        m.columns.create_index([("target_id", 1), ("column", 1)], unique=True)
        m.findings.create_index([("target_id", 1), ("status", 1)])
        m.findings.create_index([("status", 1), ("severity", 1)])
        m.findings.create_index([("item_id", 1)])
        m.findings.create_index([("first_seen_at", 1)])
        m.findings.create_index([("first_seen_at", -1), ("_id", -1)])  # pages of a listing, newest first
        m.findings.create_index([("status", 1), ("severity", 1), ("first_seen_at", -1), ("_id", -1)])
        m.findings.create_index([("target_id", 1), ("first_seen_at", -1), ("_id", -1)])
        # overdue findings: open statuses, one severity at a time, deadline order
        m.findings.create_index([("status", 1), ("severity", 1), ("deadline", 1), ("_id", 1)])
        m.checks.create_index([("target_id", 1), ("at", 1)])
        m.alerts.create_index([("status", 1), ("next_attempt_at", 1)])
        m.runs.create_index([("job", 1), ("started_at", -1)])
        m.sessions.create_index([("user", 1)])
        m.sessions.create_index([("expires_at", 1)])
        m.audit.create_index([("at", -1)])

    def close(self) -> None:
        self.client.close()

    # targets -----------------------------------------------------------------------
    def upsert_targets(self, targets: list[Target]) -> tuple[int, int]:
        created = updated = 0
        for t in targets:
            old = self.mdb.targets.find_one({"_id": t.id})
            if old:
                old.pop("_id")
                t = Target.from_dict(merge_registry(Target.from_dict(old).to_dict(jsonable=True), t))
                updated += 1
            else:
                created += 1
            self.mdb.targets.replace_one({"_id": t.id}, _doc(t), upsert=True)
        return created, updated

    def get_target(self, target_id: str) -> Target | None:
        return _load(Target, self.mdb.targets.find_one({"_id": target_id}))

    def list_targets(self, enabled_only: bool = False) -> list[Target]:
        query = {"enabled": True} if enabled_only else {}
        return [_load(Target, d) for d in self.mdb.targets.find(query).sort("_id", 1)]

    def target_summaries(self, enabled_only: bool = True) -> list[TargetSummary]:
        fields = {"platform": 1, "content_type": 1, "rules": 1, "last_published_at": 1, "last_crawl_ok_at": 1,
                  "consecutive_failures": 1, "error_kind": 1, "columns": 1}
        cursor = self.mdb.targets.find({"enabled": True} if enabled_only else {}, fields).sort("_id", 1)
        return [TargetSummary(d["_id"], d.get("platform") or "website", d.get("content_type") or "text",
                              bool(d.get("rules")), aware(d.get("last_published_at")),
                              aware(d.get("last_crawl_ok_at")), d.get("consecutive_failures") or 0,
                              d.get("error_kind") or "",
                              [(c.get("name", ""), c.get("kind") or "news", c.get("max_gap_days"))
                               for c in d.get("columns") or []]) for d in cursor]

    def get_targets(self, target_ids: list[str]) -> list[Target]:
        return [_load(Target, d) for d in self.mdb.targets.find({"_id": {"$in": list(target_ids)}}).sort("_id", 1)]

    def update_target_state(self, target_id: str, **fields) -> None:
        res = self.mdb.targets.update_one({"_id": target_id}, {"$set": _bson(fields)})
        if res.matched_count == 0:
            raise StoreError(f"监测对象不存在：{target_id}")

    # items -------------------------------------------------------------------------
    def upsert_items(self, items: list[Item], at: datetime | None = None) -> UpsertResult:
        at = stamp(at)
        result = UpsertResult()
        unique = {i.id: i for i in items}
        old = {d["_id"]: d for d in self.mdb.items.find(
            {"_id": {"$in": list(unique)}}, {"content_hash": 1, "first_seen_at": 1, "scanned_with": 1})}
        latest: dict[str, datetime] = {}
        columns: dict[tuple[str, str], list] = {}
        for item in unique.values():
            prev = old.get(item.id)
            doc = _doc(item)
            doc["first_seen_at"] = aware(prev["first_seen_at"]) if prev else (item.first_seen_at or at)
            doc["last_seen_at"] = item.last_seen_at or at
            if prev is None:
                result.new.append(item.id)
            elif prev.get("content_hash") != item.content_hash:
                result.changed.append(item.id)
                doc["scanned_with"] = ""
            else:
                result.unchanged += 1
                doc["scanned_with"] = prev.get("scanned_with", "")
            self.mdb.items.replace_one({"_id": item.id}, doc, upsert=True)
            if item.state != "live":
                continue
            entry = columns.setdefault((item.target_id, item.column or ""), [None, 0])
            entry[1] += prev is None
            if item.published_at:
                pub = aware(item.freshest_published_at)  # a month-only date counts from its month's end
                if item.target_id not in latest or pub > latest[item.target_id]:
                    latest[item.target_id] = pub
                if entry[0] is None or pub > entry[0]:
                    entry[0] = pub
        for tid, pub in latest.items():
            self.mdb.targets.update_one(
                {"_id": tid, "$or": [{"last_published_at": None}, {"last_published_at": {"$lt": pub}}]},
                {"$set": {"last_published_at": pub}})
        for (tid, col), (pub, n) in columns.items():
            key = {"_id": f"{tid}\x1f{col}"}
            self.mdb.columns.update_one(key, {"$setOnInsert": {"target_id": tid, "column": col},
                                              "$inc": {"items": n}}, upsert=True)
            if pub:
                self.mdb.columns.update_one(
                    {**key, "$or": [{"last_published_at": None},
                                    {"last_published_at": {"$exists": False}},
                                    {"last_published_at": {"$lt": pub}}]},
                    {"$set": {"last_published_at": pub}})
        return result

    def get_item(self, item_id: str) -> Item | None:
        return _load(Item, self.mdb.items.find_one({"_id": item_id}))

    def iter_items(self, target_id: str | None = None, not_scanned_with: str | None = None,
                   batch: int = 500) -> Iterator[Item]:
        query: dict = {}
        if target_id:
            query["target_id"] = target_id
        if not_scanned_with is not None:
            query["scanned_with"] = {"$ne": not_scanned_with}
        last = ""
        while True:
            docs = list(self.mdb.items.find({**query, "_id": {"$gt": last}}).sort("_id", 1).limit(batch))
            if not docs:
                return
            for d in docs:
                yield _load(Item, d)
            last = docs[-1]["_id"]

    def item_signatures(self, target_id: str) -> dict[str, tuple[str, str, str]]:
        fields = {"url": 1, "content_hash": 1, "meta": 1, "title": 1}
        return {d["url"]: (d.get("content_hash", ""), (d.get("meta") or {}).get("validator", ""), d.get("title", ""))
                for d in self.mdb.items.find({"target_id": target_id}, fields)}

    def mark_scanned(self, item_ids: list[str], version: str) -> None:
        self.mdb.items.update_many({"_id": {"$in": list(item_ids)}}, {"$set": {"scanned_with": version}})

    def set_item_state(self, item_id: str, state: str, at: datetime | None = None) -> None:
        self.mdb.items.update_one({"_id": item_id}, {"$set": {"state": state, "last_seen_at": stamp(at)}})

    def column_states(self, target_id: str | None = None,
                      target_ids: list[str] | None = None) -> list[ColumnState]:
        query = {"target_id": target_id} if target_id else {}
        if not target_id and target_ids is not None:
            query = {"target_id": {"$in": list(target_ids)}}
        return [ColumnState(d["target_id"], d["column"], aware(d.get("last_published_at")), d.get("items", 0))
                for d in self.mdb.columns.find(query)]

    def record_column_listing(self, target_id: str, column: str, latest: datetime | None,
                              entries: int) -> None:
        key = {"_id": f"{target_id}\x1f{column}"}
        self.mdb.columns.update_one(key, {"$setOnInsert": {"target_id": target_id, "column": column},
                                          "$max": {"items": entries}}, upsert=True)
        if latest:
            self.mdb.columns.update_one(
                {**key, "$or": [{"last_published_at": None}, {"last_published_at": {"$exists": False}},
                                {"last_published_at": {"$lt": aware(latest)}}]},
                {"$set": {"last_published_at": aware(latest)}})

    def count_items(self, target_id: str | None = None) -> int:
        return self.mdb.items.count_documents({"target_id": target_id} if target_id else {})

    # findings ----------------------------------------------------------------------
    def _write_finding(self, f: Finding) -> None:
        doc = _doc(f)
        doc["severity"] = f.effective_severity
        doc["severity_reported"] = f.severity
        self.mdb.findings.replace_one({"_id": f.id}, doc, upsert=True)

    @staticmethod
    def _finding(doc) -> Finding | None:
        if doc is None:
            return None
        doc = dict(doc)
        doc["severity"] = doc.pop("severity_reported", doc.get("severity"))
        return _load(Finding, doc)

    def upsert_findings(self, findings: list[Finding], at: datetime | None = None) -> UpsertResult:
        at = stamp(at)
        result = UpsertResult()
        unique = {f.id: f for f in findings}
        old = {d["_id"]: self._finding(d) for d in self.mdb.findings.find({"_id": {"$in": list(unique)}})}
        for f in unique.values():
            prev = old.get(f.id)
            (result.changed if prev else result.new).append(f.id)
            self._write_finding(merge_finding(prev, f, at))
        return result

    def get_finding(self, finding_id: str) -> Finding | None:
        return self._finding(self.mdb.findings.find_one({"_id": finding_id}))

    @staticmethod
    def _finding_query(flt: FindingFilter) -> dict:
        q: dict = {}
        if flt.status:
            q["status"] = {"$in": list(flt.status)}
        if flt.severity:
            q["severity"] = {"$in": list(flt.severity)}
        if flt.target_id:
            q["target_id"] = flt.target_id
        if flt.target_ids is not None:
            q.setdefault("$and", []).append({"target_id": {"$in": list(flt.target_ids)}})
        if flt.item_id:
            q["item_id"] = flt.item_id
        if flt.rule_prefix:
            import re
            q["rule"] = {"$regex": "^" + re.escape(flt.rule_prefix)}
        span = {}
        if flt.since:
            span["$gte"] = aware(flt.since)
        if flt.until:
            span["$lt"] = aware(flt.until)
        if span:
            q["first_seen_at"] = span
        if flt.seen_since:
            q["last_seen_at"] = {"$gte": aware(flt.seen_since)}
        if flt.deadline_before:
            q["deadline"] = {"$lt": aware(flt.deadline_before)}  # null or missing never matches $lt
        return q

    def list_findings(self, flt: FindingFilter | None = None) -> list[Finding]:
        flt = flt or FindingFilter()
        if flt.by_deadline:
            sort = [("deadline", 1), ("_id", 1)]
        else:
            order = -1 if flt.newest_first else 1
            sort = [("first_seen_at", order), ("_id", order)]
        cursor = self.mdb.findings.find(self._finding_query(flt)).sort(sort)
        if flt.offset:
            cursor = cursor.skip(int(flt.offset))
        if flt.limit:
            cursor = cursor.limit(int(flt.limit))
        return [self._finding(d) for d in cursor]

    def count_findings(self, flt: FindingFilter | None = None) -> int:
        return self.mdb.findings.count_documents(self._finding_query(flt or FindingFilter()))

    def transition_finding(self, finding_id: str, to: str, by: str = "system", note: str = "",
                           at: datetime | None = None, evidence: dict | None = None) -> Finding:
        f = self.get_finding(finding_id)
        if f is None:
            raise StoreError(f"问题不存在：{finding_id}")
        f = apply_transition(f, to, by, note, stamp(at), evidence)
        self._write_finding(f)
        return f

    def update_finding(self, finding_id: str, **fields) -> None:
        f = self.get_finding(finding_id)
        if f is None:
            raise StoreError(f"问题不存在：{finding_id}")
        for k, v in fields.items():
            setattr(f, k, v)
        self._write_finding(f)

    def set_deadlines(self, deadlines: dict[str, datetime | None]) -> int:
        """Many findings' deadlines at once (a changed deadline table), everything else left as it
        is. Returns how many findings exist among the ids."""
        # one atomic update per finding (a one-off when the table changes; each finding whole)
        return sum(self.mdb.findings.update_one({"_id": fid}, {"$set": {"deadline": aware(d) if d else None}})
                   .matched_count for fid, d in deadlines.items())

    # meta --------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        doc = self.mdb.meta.find_one({"_id": key})
        return doc["value"] if doc else None

    def put_meta(self, key: str, value: str) -> None:
        self.mdb.meta.replace_one({"_id": key}, {"_id": key, "value": value}, upsert=True)

    # checks ------------------------------------------------------------------------
    def record_checks(self, checks: list[Check]) -> None:
        if checks:
            self.mdb.checks.insert_many([_bson(c.to_dict()) for c in checks])

    def list_checks(self, target_id: str, since: datetime | None = None) -> list[Check]:
        q: dict = {"target_id": target_id}
        if since:
            q["at"] = {"$gte": aware(since)}
        return [_load(Check, d) for d in self.mdb.checks.find(q).sort("at", 1)]

    # alerts ------------------------------------------------------------------------
    def enqueue_alerts(self, alerts: list[Alert]) -> int:
        at = stamp(None)
        added = 0
        for a in alerts:
            a.created_at = a.created_at or at
            a.next_attempt_at = a.next_attempt_at or a.created_at
            res = self.mdb.alerts.update_one({"_id": a.id}, {"$setOnInsert": _doc(a)}, upsert=True)
            added += res.upserted_id is not None
        return added

    def due_alerts(self, at: datetime, limit: int = 100) -> list[Alert]:
        cursor = self.mdb.alerts.find({"status": "pending", "next_attempt_at": {"$lte": aware(at)}})
        return [_load(Alert, d) for d in cursor.sort([("next_attempt_at", 1), ("_id", 1)]).limit(limit)]

    def update_alert(self, alert_id: str, **fields) -> None:
        res = self.mdb.alerts.update_one({"_id": alert_id}, {"$set": _bson(fields)})
        if res.matched_count == 0:
            raise StoreError(f"提醒不存在：{alert_id}")

    def list_alerts(self, status: str | None = None, limit: int = 200) -> list[Alert]:
        cursor = self.mdb.alerts.find({"status": status} if status else {})
        return [_load(Alert, d) for d in cursor.sort([("created_at", -1), ("_id", 1)]).limit(limit)]

    # runs --------------------------------------------------------------------------
    def start_run(self, job: str, at: datetime | None = None) -> Run:
        import os
        at = stamp(at)
        run = Run(job=job, started_at=at, id=stable_id(job, at.isoformat(), str(os.getpid())))
        self.mdb.runs.replace_one({"_id": run.id}, _doc(run), upsert=True)
        return run

    def finish_run(self, run: Run, ok: bool, stats: dict | None = None, error: str = "",
                   at: datetime | None = None) -> None:
        run.finished_at, run.ok, run.stats, run.error = stamp(at), ok, stats or {}, error
        self.mdb.runs.replace_one({"_id": run.id}, _doc(run), upsert=True)

    def list_runs(self, job: str | None = None, limit: int = 50) -> list[Run]:
        cursor = self.mdb.runs.find({"job": job} if job else {}).sort("started_at", -1).limit(limit)
        return [_load(Run, d) for d in cursor]

    # timeline ----------------------------------------------------------------------
    def column_states_before(self, target_id: str, horizon: datetime) -> list[ColumnState]:
        """Column states of one target from its live items as they stood at ``horizon`` (only the
        column and publication time of each item are read)."""
        horizon = aware(horizon)
        by_column: dict[str, ColumnState] = {}
        for d in self.mdb.items.find({"target_id": target_id, "state": "live"}, {"column": 1, "published_at": 1}):
            column = d.get("column") or ""
            st = by_column.setdefault(column, ColumnState(target_id, column))
            st.items += 1
            pub = aware(d.get("published_at"))
            if pub is not None and pub <= horizon and (st.last_published_at is None or pub > st.last_published_at):
                st.last_published_at = pub
        return list(by_column.values())

    def publication_times(self, target_ids: list[str], since: datetime,
                          until: datetime) -> dict[str, list[datetime]]:
        out: dict[str, list[datetime]] = {t: [] for t in target_ids}
        cursor = self.mdb.items.find(
            {"target_id": {"$in": list(target_ids)}, "state": "live",
             "published_at": {"$gte": aware(since), "$lt": aware(until)}},
            {"target_id": 1, "published_at": 1}).sort([("target_id", 1), ("published_at", 1)])
        for d in cursor:
            out[d["target_id"]].append(aware(d["published_at"]))
        return out

    # people's decisions and logs ---------------------------------------------------
    def add_ignore_rule(self, rule: dict) -> str:
        rule = ignore_rule_record(rule)
        self.mdb.ignore_rules.replace_one({"_id": rule["id"]}, {**rule, "_id": rule["id"]}, upsert=True)
        return rule["id"]

    def list_ignore_rules(self) -> list[dict]:
        docs = self.mdb.ignore_rules.find().sort([("created_at", 1), ("_id", 1)])
        return [{k: v for k, v in d.items() if k != "_id"} for d in docs]

    def delete_ignore_rule(self, rule_id: str) -> bool:
        return self.mdb.ignore_rules.delete_one({"_id": rule_id}).deleted_count > 0

    def log_alert_event(self, event: dict) -> None:
        event = redact_data(event)  # webhook tokens, signing secrets, SMTP credentials never stored
        at = event.get("at") or stamp(None).isoformat()
        self.mdb.alert_log.insert_one({**event, "at": at})

    def list_alert_log(self, limit: int = 200) -> list[dict]:
        docs = self.mdb.alert_log.find().sort([("at", -1), ("_id", -1)]).limit(limit)
        return [{k: v for k, v in d.items() if k != "_id"} for d in docs]

    # sensitive periods -------------------------------------------------------------
    def put_period(self, period: dict) -> bool:
        """Store a period under its name; False (nothing stored) when the name is taken."""
        from pymongo.errors import DuplicateKeyError
        try:
            self.mdb.periods.insert_one({**period, "_id": period["name"]})
        except DuplicateKeyError:
            return False
        return True

    def get_period(self, name: str) -> dict | None:
        return self._plain(self.mdb.periods.find_one({"_id": name}))

    def list_periods(self) -> list[dict]:
        return [self._plain(d) for d in self.mdb.periods.find().sort([("start", 1), ("_id", 1)])]

    def delete_period(self, name: str) -> bool:
        return self.mdb.periods.delete_one({"_id": name}).deleted_count > 0

    # single-instance locks ---------------------------------------------------------
    def try_lock(self, name: str, holder: str, ttl_seconds: int, at: datetime | None = None) -> bool:
        """Take or refresh a lock; an expired lock (its holder died) can be taken over."""
        from datetime import timedelta
        from pymongo.errors import DuplicateKeyError
        at = stamp(at)
        expires = at + timedelta(seconds=ttl_seconds)
        try:
            self.mdb.locks.update_one(
                {"_id": name, "$or": [{"holder": holder}, {"expires_at": {"$lte": at}}]},
                {"$set": {"holder": holder, "expires_at": expires}}, upsert=True)
        except DuplicateKeyError:  # held by someone else and not expired
            return False
        return True

    def release_lock(self, name: str, holder: str) -> None:
        self.mdb.locks.delete_one({"_id": name, "holder": holder})

    # console users, sessions and the audit trail ------------------------------------
    @staticmethod
    def _plain(doc: dict | None) -> dict | None:
        return None if doc is None else {k: v for k, v in doc.items() if k != "_id"}

    def put_user(self, user: dict) -> None:
        self.mdb.users.replace_one({"_id": user["name"]}, {**user, "_id": user["name"]}, upsert=True)

    def get_user(self, name: str) -> dict | None:
        return self._plain(self.mdb.users.find_one({"_id": name}))

    def list_users(self) -> list[dict]:
        return [self._plain(d) for d in self.mdb.users.find().sort("_id", 1)]

    def update_user(self, name: str, **fields) -> dict:
        fields.pop("name", None)
        if fields:
            res = self.mdb.users.update_one({"_id": name}, {"$set": fields})
            if res.matched_count == 0:
                raise StoreError(f"用户不存在：{name}")
        user = self.get_user(name)
        if user is None:
            raise StoreError(f"用户不存在：{name}")
        return user

    def create_session(self, session: dict) -> None:
        self.mdb.sessions.delete_many({"expires_at": {"$lt": stamp(None)}})
        self.mdb.sessions.insert_one({**_bson(session), "_id": session["id"]})

    def get_session(self, session_id: str, at: datetime | None = None) -> dict | None:
        doc = self.mdb.sessions.find_one({"_id": session_id, "expires_at": {"$gt": stamp(at)}})
        if doc is None:
            return None
        doc = self._plain(doc)
        doc["expires_at"] = aware(doc["expires_at"])
        return doc

    def get_session_user(self, session_id: str, at: datetime | None = None) -> tuple[dict, dict | None] | None:
        """``get_session`` and the ``get_user`` of its user (None when the account is gone)."""
        session = self.get_session(session_id, at)
        return None if session is None else (session, self.get_user(session["user"]))

    def extend_session(self, session_id: str, expires_at: datetime) -> None:
        self.mdb.sessions.update_one({"_id": session_id}, {"$set": {"expires_at": aware(expires_at)}})

    def delete_session(self, session_id: str) -> None:
        self.mdb.sessions.delete_one({"_id": session_id})

    def delete_user_sessions(self, name: str) -> int:
        return self.mdb.sessions.delete_many({"user": name}).deleted_count

    def log_audit(self, event: dict) -> None:
        at = event.get("at") or stamp(None).isoformat()
        self.mdb.audit.insert_one({**event, "at": at})

    def list_audit(self, limit: int = 200, user: str | None = None) -> list[dict]:
        docs = self.mdb.audit.find({"user": user} if user else {}).sort([("at", -1), ("_id", -1)]).limit(limit)
        return [self._plain(d) for d in docs]

    # snapshots ---------------------------------------------------------------------
    # text read from images (OCR): once per image, by SHA-256; images left for the next round
    def get_ocr(self, sha256: str) -> dict | None:
        doc = self.mdb.ocr_cache.find_one({"_id": sha256})
        return doc["data"] if doc else None

    def put_ocr(self, sha256: str, result: dict, at: datetime | None = None) -> None:
        self.mdb.ocr_cache.replace_one({"_id": sha256}, {"_id": sha256, "at": stamp(at), "data": result},
                                       upsert=True)

    def add_ocr_backlog(self, target_id: str, entries: list[dict], at: datetime | None = None) -> None:
        for e in entries:
            key = f"{target_id}\n{e['url']}"
            self.mdb.ocr_backlog.replace_one({"_id": key}, {"_id": key, "target_id": target_id, "at": stamp(at),
                                                            "data": e}, upsert=True)

    def take_ocr_backlog(self, target_id: str, limit: int = 100) -> list[dict]:
        docs = list(self.mdb.ocr_backlog.find({"target_id": target_id}).sort([("at", 1), ("_id", 1)]).limit(limit))
        if docs:
            self.mdb.ocr_backlog.delete_many({"_id": {"$in": [d["_id"] for d in docs]}})
        return [d["data"] for d in docs]

    def put_snapshot(self, raw: bytes) -> str:
        key = snapshot_key(raw)
        from gridfs.errors import FileExists

        if not self.fs.exists(key):
            try:
                self.fs.put(compress(raw), _id=key, filename=f"{key}.gz")
            except FileExists:  # another writer stored the same page first
                pass
        return key

    def get_snapshot(self, sha256: str) -> bytes | None:
        if not self.fs.exists(sha256):
            return None
        return gzip.decompress(self.fs.get(sha256).read())
