"""govwatch console: the duty officer's page in a browser."""
from __future__ import annotations

from govwatch.commands._common import settings_from


def register(sub) -> None:
    p = sub.add_parser("console", help="值班台：在浏览器中查看无法访问的网站、新的严重问题、超期问题和采集失败")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，仅本机可访问）")
    p.add_argument("--port", type=int, default=8080, help="端口（默认 8080）")
    p.set_defaults(func=cmd_console)


def cmd_console(args) -> int:
    from govwatch.cli import CliError
    from govwatch.console import serve
    from govwatch.store import open_store

    settings = settings_from(args)
    try:
        server = serve(lambda: open_store(settings=settings), args.host, args.port)
    except OSError as exc:
        raise CliError(f"无法在 {args.host}:{args.port} 上启动值班台：{exc}") from exc
    print(f"值班台已启动：http://{args.host}:{server.server_address[1]}/ （按 Ctrl+C 退出）")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
