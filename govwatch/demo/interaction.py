"""The farm's 政务咨询 (public consultation) board: every site answers its messages; with the
problem "interaction_unanswered" one message asked four months ago is still 未回复.

A table as the CMS boards render it: 序号, 标题 (linking to the message), 提问时间, 办理状态, 回复时间.
"""
from __future__ import annotations

from datetime import timedelta
from html import escape

from govwatch.demo.util import h64, local_now, pub_time

PATH = "hdjl/zxts/index.html"
NAME = "政务咨询"
UNANSWERED_AGE_DAYS = 120.0
QUESTIONS = (
    "关于小区加装电梯补贴申请流程的咨询", "孩子入学材料需要准备哪些", "公积金异地转移如何办理",
    "农村宅基地审批需要多长时间", "个体工商户年报在哪里填报", "公交线路调整的建议",
    "医保关系转移接续的问题", "老旧小区改造什么时候开始", "残疾人补贴申领条件",
    "夜间施工噪音扰民问题反映",
)


def board_rows(env, spec_id: str, unanswered: bool) -> list[dict]:
    """Messages, newest first: title, asked, status, answered (None when not answered)."""
    rows = []
    for k, title in enumerate(QUESTIONS):
        asked = pub_time(env.now, 2.0 + 9.0 * k + (h64(spec_id, "hd", k) % 100) / 100)
        answered = asked + timedelta(days=1 + h64(spec_id, "reply", k) % 6)
        rows.append({"k": k, "title": title, "asked": asked, "answered": min(answered, env.now)})
    if unanswered:
        asked = pub_time(env.now, UNANSWERED_AGE_DAYS)
        rows.append({"k": len(QUESTIONS), "title": "反映村道破损多次报修无人处理的问题", "asked": asked, "answered": None})
        rows.sort(key=lambda r: r["asked"], reverse=True)
    return rows


def message_path(root: str, k: int) -> str:
    return f"{root}hdjl/zxts/detail_{k}.html"


def board_html(root: str, rows: list[dict]) -> str:
    def day(dt):
        return local_now(dt).strftime("%Y-%m-%d") if dt else ""

    cells = "".join(
        f'<tr><td>{i}</td><td><a href="{message_path(root, r["k"])}" title="{escape(r["title"])}">{escape(r["title"])}</a></td>'
        f'<td>{day(r["asked"])}</td><td>{"已回复" if r["answered"] else "未回复"}</td><td>{day(r["answered"])}</td></tr>'
        for i, r in enumerate(rows, 1))
    return (f'<div class="main w1200"><h2>{NAME}</h2><table class="hd-list" border="1" cellspacing="0">'
            '<tr><th>序号</th><th>标题</th><th>提问时间</th><th>办理状态</th><th>回复时间</th></tr>'
            f"{cells}</table></div>\n")
