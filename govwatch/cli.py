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
            "probe", "recheck", "export", "alerts", "run", "jobs", "console", "settings", "users", "rules",
            "periods"]


class CliError(UserError):
    """A user-facing error of a command: printed in Chinese, exit status 2."""


# argparse's own words (usage:, options:, its error messages) in Chinese. argparse looks its
# messages up through the module-level gettext function ``_`` at call time, so translating them
# there covers every parser and sub-parser, including messages built deep inside argparse.
ARGPARSE_ZH = {
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "参数",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "the following arguments are required: %s": "缺少必需的参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项值 %(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的值 %(value)r（应为 %(type)s）",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "expected one argument": "需要一个值",
    "expected at most one argument": "最多只能有一个值",
    "expected at least one argument": "至少需要一个值",
    "ambiguous option: %(option)s could match %(matches)s": "选项 %(option)s 不明确，可能是 %(matches)s",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "参数 %s 中必须给出一个",
    "ignored explicit argument %r": "忽略了多余的值 %r",
    "unexpected option string: %s": "意外的选项：%s",
    "can't open '%(filename)s': %(error)s": "无法打开“%(filename)s”：%(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "没有命令 %(parser_name)r（可用命令：%(choices)s）",
}
ARGPARSE_ZH_PLURAL = {"expected %s argument": "需要 %s 个值"}


def _translate_argparse() -> None:
    argparse._ = lambda message: ARGPARSE_ZH.get(message, message)
    argparse.ngettext = lambda singular, plural, n: ARGPARSE_ZH_PLURAL.get(singular, singular if n == 1 else plural)


class ChineseHelpFormatter(argparse.HelpFormatter):
    """An option without a metavar of its own shows 值 (value), not its English dest in capitals."""

    def _get_default_metavar_for_optional(self, action) -> str:
        return "值"

    def _get_default_metavar_for_positional(self, action) -> str:
        return action.dest if not action.dest.isascii() else "参数"


class ChineseArgumentParser(argparse.ArgumentParser):
    """Every parser and sub-parser (add_subparsers makes them of the parent's class)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    _translate_argparse()
    parser = ChineseArgumentParser(prog="govwatch", description="政务网站与政务新媒体监测")
    parser.add_argument("--config", metavar="文件", help="配置文件 govwatch.toml 的路径（默认：当前目录下的 govwatch.toml）")
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
