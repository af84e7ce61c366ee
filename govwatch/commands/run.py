"""govwatch run [--once JOB]: the scheduler service, or one job now."""
from __future__ import annotations

from govwatch.commands._common import settings_from, store_from


def register(sub) -> None:
    from scheduler.jobs import REGISTRY

    p = sub.add_parser("run", help="启动定时任务服务（探测、采集、夜间检测、提醒、汇总、月度导出）")
    p.add_argument("--once", choices=sorted(REGISTRY), metavar="任务",
                   help=f"立即运行一个任务后退出：{'、'.join(f'{k}（{v.label}）' for k, v in REGISTRY.items())}")
    p.set_defaults(func=cmd_run)


def cmd_run(args) -> int:
    from scheduler.logs import setup_logging

    settings = settings_from(args)
    store = store_from(args, settings)
    path = setup_logging(settings)
    if args.once:
        return run_once(args.once, settings, store)
    from scheduler.service import SchedulerService

    try:
        return SchedulerService(settings, store).serve(banner=f"定时任务服务已启动，日志写入 {path}。按 Ctrl+C 停止。")
    finally:
        store.close()


def run_once(name: str, settings, store) -> int:
    from scheduler import jobs

    ctx = jobs.JobContext(settings=settings, store=store)
    jobs.set_context(ctx)
    try:
        run = jobs.run_job(name, ctx)
    finally:
        jobs.set_context(None)
        store.close()
    label = jobs.REGISTRY[name].label
    if run is None:
        print(f"任务“{label}”正在其他进程中运行，本次未运行。")
        return 1
    if run.ok:
        shown = {k: v for k, v in run.stats.items() if k not in ("output_tail", "argv", "traceback")}
        print(f"任务“{label}”已完成" + (f"：{shown}" if shown else "。"))
        return 0
    print(f"任务“{label}”失败：{run.error}")
    return 1
