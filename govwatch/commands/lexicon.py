"""govwatch lexicon check|version: validate the lexicons, print the lexicon version."""
from __future__ import annotations

from pathlib import Path

from govwatch.cli import CliError


def register(sub) -> None:
    p = sub.add_parser("lexicon", help="词库：检查词库文件、查看词库版本")
    lsub = p.add_subparsers(dest="lexicon_command", metavar="操作")
    for name, helptext, func in (
        ("check", "检查词库：报告格式错误的行（文件:行号）和重复词条", cmd_check),
        ("version", "显示词库版本（内置词库与用户词库合并后的哈希）", cmd_version),
    ):
        sp = lsub.add_parser(name, help=helptext)
        sp.add_argument("--lexicon-dir", action="append", default=[], metavar="目录",
                        help="额外的词库目录（合并到内置词库之上，可重复）")
        sp.set_defaults(func=func)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _dirs(args) -> list:
    from govwatch.commands._common import settings_from

    settings = settings_from(args)
    return [*settings.lexicon_dirs, *args.lexicon_dir]


def cmd_check(args) -> int:
    from scanner.lexicon import Lexicon, resolve_dirs

    lexicon = Lexicon(resolve_dirs(_dirs(args)))
    for problem in lexicon.problems:
        print(problem)
    summary = (f"{len(lexicon.files)} 个文件，{len(lexicon.entries)} 个词条，{len(lexicon.allow)} 个放行短语，"
               f"词库版本 {lexicon.version}")
    if lexicon.problems:
        print(f"词库检查发现 {len(lexicon.problems)} 个问题（{summary}）")
        return 1
    print(f"词库检查通过：{summary}")
    return 0


def cmd_version(args) -> int:
    from scanner.lexicon import load_lexicon

    dirs = _dirs(args)
    for d in args.lexicon_dir:
        if not Path(d).is_dir():
            raise CliError(f"词库目录不存在：{d}")
    print(load_lexicon(dirs).version)
    return 0
