"""govwatch console: the web console (值班台, 问题清单, 监测对象, 提醒, 导出 and the JSON API)."""
from __future__ import annotations

import sys

from govwatch.commands._common import settings_from, store_from

LOCAL = ("127.0.0.1", "localhost", "::1")


def register(sub) -> None:
    p = sub.add_parser("console", help="网页值班台：值班员、责任单位和管理员在浏览器中查看和处置问题")
    p.add_argument("--host", default="127.0.0.1",
                   help="监听地址（默认 127.0.0.1，仅本机可访问；对外提供服务请放在 nginx 等 TLS 代理之后）")
    p.add_argument("--port", type=int, default=8080, help="端口（默认 8080）")
    p.set_defaults(func=cmd_console)


def exposure_warning(host: str) -> str:
    """A warning when the console listens beyond this machine (no TLS of its own)."""
    if host in LOCAL:
        return ""
    return (f"警告：值班台监听在 {host}，本机以外也能访问。会话和密码以明文传输，"
            "除非前面有 TLS 反向代理（见 deploy/nginx-console.conf），并设置 console.secure_cookies = true。")


def cmd_console(args) -> int:
    import uvicorn

    from govwatch.cli import CliError
    from govwatch.console.app import allowed_hosts, create_app

    settings = settings_from(args)
    store = store_from(args, settings)
    warning = exposure_warning(args.host)
    if warning:
        print(warning, file=sys.stderr)
    if not store.list_users():
        print("提示：还没有任何用户，请先添加管理员：govwatch users add 用户名 --role admin", file=sys.stderr)
    app = create_app(settings, store, bound_host=args.host)
    names = "、".join(allowed_hosts(settings, args.host))
    print(f"值班台已启动：http://{args.host}:{args.port}/ （按 Ctrl+C 退出；接受的主机名：{names}）")
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning", access_log=False, http="httptools",
                            # behind nginx on this machine, the client address (login throttling, audit) is the
                            # one nginx puts in X-Forwarded-For; no other peer is trusted to set it
                            proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                            server_header=False, timeout_graceful_shutdown=3)
    try:
        uvicorn.Server(config).run()
    except OSError as exc:
        raise CliError(f"无法在 {args.host}:{args.port} 上启动值班台：{exc}") from exc
    return 0
