"""The ``govwatch`` command. User-facing text is Simplified Chinese."""
from __future__ import annotations

import argparse
import errno
import importlib
import sqlite3
import sys

from govwatch.errors import UserError
from govwatch.interrupt import EXIT_CODE as INTERRUPTED_EXIT
from govwatch.interrupt import Interrupted
from govwatch.store.base import StoreError, storage_error_message

# Command modules under govwatch/commands/, in the order --help lists them.
COMMANDS = ["demo", "targets", "crawl", "scan", "check", "extract", "lexicon", "findings", "zombies",
            "probe", "recheck", "export", "alerts", "run", "jobs", "console", "settings", "users", "rules"]


class CliError(UserError):
    """A user-facing error of a command: printed in Chinese, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="govwatch", description="政务网站与政务新媒体监测")
    parser.add_argument("--config", help="配置文件 govwatch.toml 的路径（默认：当前目录下的 govwatch.toml）")
    sub = parser.add_subparsers(dest="command", metavar="命令")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"govwatch.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"govwatch.commands.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe (`govwatch findings list | head`) shows here, not at exit
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except UserError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except (StoreError, sqlite3.DatabaseError) as exc:
        # a full disk, a corrupted or locked database: a clear message, never a traceback
        message = str(exc) if isinstance(exc, StoreError) else storage_error_message(exc)
        print(f"错误：{message}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        print(f"错误：{storage_error_message(exc)}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(str(exc))  # what was done and that nothing was judged from absence
        return INTERRUPTED_EXIT
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    finally:
        ctx = getattr(args, "_context", None)  # govwatch.commands._common.CommandContext, if one was used
        if ctx is not None:
            ctx.close()


def _quiet_stdout() -> None:
    """The reader of our output went away: send what is left to /dev/null so that the interpreter's
    final flush does not print a second BrokenPipeError."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (tests capture it)
        pass


if __name__ == "__main__":
    raise SystemExit(main())
