"""What command modules share: the command context (settings, stores, user-facing errors), the
crawl hooks and target selection, and output helpers."""
from __future__ import annotations

import sys
import unicodedata

from govwatch.cli import CliError


class CommandContext:
    """What every command works with: the settings (loaded once per invocation, credentials then
    masked everywhere), the stores it opens (closed by ``govwatch.cli.main`` when the command ends,
    whether or not the command closed them) and the user-facing error, ``CliError``."""

    def __init__(self, args):
        self.args = args
        self._settings = None
        self._stores: list = []

    @property
    def settings(self):
        if self._settings is None:
            from govwatch.redact import install_logging_filter, register_settings
            from govwatch.settings import SettingsError, load_settings
            from crawler import bounds
            try:
                self._settings = load_settings(getattr(self.args, "config", None))
                bounds.configure(self._settings.data.get("parse"))  # every parser of crawled bytes here
            except (SettingsError, ValueError) as exc:
                raise CliError(str(exc)) from exc
            register_settings(self._settings)  # credentials are masked in every log line and message from now on
            install_logging_filter()
        return self._settings

    def open_store(self, settings=None, *, read_only: bool = False):
        """The store, after the write-side housekeeping every command does on opening it (stored
        deadlines follow a changed deadline table). ``read_only``: a command that must leave the
        database as it found it (``govwatch check``): an existing database opened for reading only
        (``govwatch.store.open_store``), no housekeeping."""
        from govwatch.store import StoreError, open_store
        try:
            store = open_store(settings=settings or self.settings, read_only=read_only)
        except StoreError as exc:
            raise CliError(str(exc)) from exc
        self._stores.append(store)
        if not read_only:
            follow_deadlines(store, settings or self.settings)
        return store

    def close(self) -> None:
        while self._stores:
            self._stores.pop().close()


def follow_deadlines(store, settings) -> None:
    """Stored deadlines follow a changed deadline table (govwatch.lifecycle); a store that
    cannot be written now (read-only copy, busy) is told and left for the next command."""
    from govwatch.lifecycle import follow_deadline_settings
    from govwatch.store import StoreError

    try:
        moved = follow_deadline_settings(store, settings)
    except StoreError as exc:
        print(f"整改期限设置已变更，但暂时无法更新已存问题的整改时限：{exc}", file=sys.stderr)
        return
    if moved:
        print(f"整改期限设置已变更：{moved} 个未完成问题的整改时限已按新期限重新计算。", file=sys.stderr)


def context(args) -> CommandContext:
    """The invocation's context, made on first use and kept on ``args``."""
    ctx = getattr(args, "_context", None)
    if ctx is None:
        ctx = CommandContext(args)
        try:
            args._context = ctx
        except AttributeError:  # a frozen stand-in for argparse's namespace: no sharing, still correct
            pass
    return ctx


def settings_from(args):
    return context(args).settings


def store_from(args, settings=None, *, read_only: bool = False):
    return context(args).open_store(settings, read_only=read_only)


def in_force(settings, store, announce: bool = True):
    """The settings in force now: with a sensitive period active, its thresholds, extra lexicon
    directories and probe interval (govwatch.periods.effective_settings); one line on stderr says
    so unless ``announce`` is false (the caller reports ``active_periods`` itself)."""
    from govwatch.periods import settings_at

    effective = settings_at(settings, store)
    for p in effective.active_periods if announce else ():
        print(p.line + "，按敏感时期设置运行", file=sys.stderr)
    return effective


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clean_cell(value) -> str:
    """Crawled text is hostile: no control characters (terminal escapes, newlines) in a table."""
    text = "" if value is None else str(value)
    return "".join(ch if ch.isprintable() else " " for ch in text)


def truncate(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        used += display_width(ch)
        if used > width - 1:
            break
        out.append(ch)
    return "".join(out) + "…"


def print_table(headers: list[str], rows: list[list], max_width: int = 40, file=None) -> None:
    """A plain-text table aligned for CJK (double-width) characters."""
    file = file or sys.stdout
    cells = [[truncate(clean_cell(c), max_width) for c in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], display_width(c))

    def line(values):
        return "  ".join(v + " " * (widths[i] - display_width(v)) for i, v in enumerate(values)).rstrip()

    print(line(headers), file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for row in cells:
        print(line(row), file=file)


# ---------------------------------------------------------------------------- crawling commands

def crawl_hooks(settings):
    """What every crawl passes to the pipeline: the lexicon, people's ignore rules and the alert hook."""
    from scanner.lexicon import load_lexicon

    from govwatch.alerts import enqueue_for_findings
    from govwatch.findings import make_ignore_predicate
    from govwatch.store import open_store

    lexicon = load_lexicon(settings.lexicon_dirs, cache_dir=settings.var_path / "cache")
    store = open_store(settings=settings)
    try:
        ignore = make_ignore_predicate(store.list_ignore_rules())
    finally:
        store.close()

    def on_findings(store, findings):
        # serious findings reach the outbox at once; the flush job sends them within a minute
        enqueue_for_findings(store, settings, findings)

    return lexicon, ignore or None, on_findings


def select_targets(store, ids: list[str] | None):
    """The enabled targets, or exactly those of ``ids`` (an unknown id is a user error)."""
    targets = store.list_targets(enabled_only=True)
    if ids:
        known = {t.id: t for t in store.list_targets()}
        missing = [i for i in ids if i not in known]
        if missing:
            raise CliError(f"名录中没有这些监测对象：{'、'.join(missing)}（先用 govwatch targets import 导入）")
        targets = [known[i] for i in ids]
    return targets
