"""The command line speaks Chinese: every command's --help and argparse's own errors."""
import argparse
import re

import pytest

from govwatch.cli import build_parser, main

ENGLISH_BOILERPLATE = re.compile(r"usage:|options:|positional arguments|show this help|error:|"
                                 r"the following arguments|invalid choice|unrecognized arguments")
ENGLISH_METAVAR = re.compile(r"\b[A-Z][A-Z_]{2,}\b")  # argparse's default: the option's name in capitals


def all_command_paths(parser=None, prefix=()):
    """Every command and sub-command, e.g. ("findings", "list")."""
    parser = parser or build_parser()
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from all_command_paths(sub, (*prefix, name))


PATHS = sorted(set(all_command_paths()))


def test_every_command_is_walked():
    names = {p[0] for p in PATHS if p}
    assert {"crawl", "findings", "targets", "export", "probe", "check", "demo"} <= names
    assert ("findings", "list") in PATHS and len(PATHS) > 30


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "govwatch")
def test_help_is_chinese(path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*path, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法："), out[:200]
    bad = [line for line in out.splitlines() if ENGLISH_BOILERPLATE.search(line)]
    assert not bad, bad
    usage = out.split("\n\n", 1)[0]
    assert not ENGLISH_METAVAR.search(usage), usage
    assert "显示本帮助并退出" in out


@pytest.mark.parametrize("argv, expected", [
    (["crawl", "--kind", "everything"], "无效的选项值"),
    (["findings", "set"], "缺少必需的参数"),
    (["probe", "--no-such-option"], "无法识别的参数"),
    (["no-such-command"], "无效的选项值"),
])
def test_argparse_errors_are_chinese(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "错误：" in err and "error:" not in err and "usage:" not in err
