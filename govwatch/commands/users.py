"""govwatch users add|list|disable|enable|passwd: accounts of the web console."""
from __future__ import annotations

import getpass
import sys

from govwatch.commands._common import print_table, store_from


def register(sub) -> None:
    p = sub.add_parser("users", help="值班台用户：添加、列出、停用、修改密码")
    usub = p.add_subparsers(dest="users_command", metavar="操作")

    add = usub.add_parser("add", help="添加用户")
    add.add_argument("name", help="用户名")
    add.add_argument("--role", required=True, choices=["admin", "duty", "office"],
                     help="角色：admin 管理员，duty 值班员，office 责任单位（只看本单位及下级单位）")
    add.add_argument("--owner", action="append", default=[],
                     help="主办单位名称（office 必填，可重复）：该用户能看到这些单位及其下级单位的监测对象")
    add.add_argument("--password-stdin", action="store_true",
                     help="从标准输入读取密码（第一行），便于脚本使用；否则交互输入")
    add.set_defaults(func=cmd_add)

    ls = usub.add_parser("list", help="列出用户")
    ls.set_defaults(func=cmd_list)

    dis = usub.add_parser("disable", help="停用用户（立即注销其所有会话）")
    dis.add_argument("name", help="用户名")
    dis.set_defaults(func=cmd_disable)

    en = usub.add_parser("enable", help="重新启用用户")
    en.add_argument("name", help="用户名")
    en.set_defaults(func=cmd_enable)

    pw = usub.add_parser("passwd", help="修改用户密码（注销其所有会话）")
    pw.add_argument("name", help="用户名")
    pw.add_argument("--password-stdin", action="store_true", help="从标准输入读取新密码（第一行）")
    pw.set_defaults(func=cmd_passwd)

    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _read_password(from_stdin: bool) -> str:
    from govwatch.cli import CliError

    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再次输入密码："):
        raise CliError("两次输入的密码不一致")
    return first


def _run(fn):
    from govwatch.cli import CliError
    from govwatch.console.users import UserError
    from govwatch.store import StoreError

    try:
        return fn()
    except (UserError, StoreError) as exc:
        raise CliError(str(exc)) from exc


def cmd_add(args) -> int:
    from govwatch.console.users import ROLE_LABELS, add_user

    store = store_from(args)
    password = _read_password(args.password_stdin)
    user = _run(lambda: add_user(store, args.name, args.role, password, args.owner))
    scope = f"，主办单位：{'、'.join(user['owners'])}" if user["owners"] else ""
    print(f"已添加用户 {user['name']}（{ROLE_LABELS[user['role']]}{scope}）")
    return 0


def cmd_list(args) -> int:
    from govwatch.console.users import ROLE_LABELS

    store = store_from(args)
    users = store.list_users()
    if not users:
        print("还没有用户。添加第一个管理员：govwatch users add 用户名 --role admin")
        return 0
    print_table(["用户名", "角色", "主办单位", "状态", "创建时间"],
                [[u["name"], ROLE_LABELS.get(u.get("role"), u.get("role")), "、".join(u.get("owners") or []),
                  "已停用" if u.get("disabled") else "正常", (u.get("created_at") or "")[:16].replace("T", " ")]
                 for u in users])
    return 0


def cmd_disable(args) -> int:
    from govwatch.console.users import set_disabled

    store = store_from(args)
    _run(lambda: set_disabled(store, args.name, True))
    print(f"已停用用户 {args.name}，其会话已全部注销")
    return 0


def cmd_enable(args) -> int:
    from govwatch.console.users import set_disabled

    store = store_from(args)
    _run(lambda: set_disabled(store, args.name, False))
    print(f"已启用用户 {args.name}")
    return 0


def cmd_passwd(args) -> int:
    from govwatch.console.users import set_password

    store = store_from(args)
    if store.get_user(args.name) is None:
        from govwatch.cli import CliError
        raise CliError(f"用户不存在：{args.name}")
    password = _read_password(args.password_stdin)
    _run(lambda: set_password(store, args.name, password))
    print(f"已修改用户 {args.name} 的密码，其会话已全部注销")
    return 0
