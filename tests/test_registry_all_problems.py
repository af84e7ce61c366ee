"""A registry file with many problems reports every one of them in one run, in the order of the
file (row, column, what is wrong, what would be right), and imports nothing: CSV, XLSX and YAML."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from govwatch.registry import RegistryError, load_targets

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["编号", "名称", "平台", "网址", "主办单位", "联系邮箱", "内容类型", "是否启用", "负责人", "负责人电话"]
ROWS = [
    ["gov-01", "示范市人民政府门户网站", "网站", "http://www.example.gov.cn/", "示范市人民政府", "ban@example.gov.cn", "图文", "是", "", ""],
    ["gov-02", "", "网站", "http://www.b.gov.cn/", "示范市教育局", "", "", "是", "", ""],                 # 1 名称
    ["gov-03", "示范发布", "飞鸽传书", "http://www.c.gov.cn/", "示范市人民政府", "", "", "", "", ""],       # 2 平台
    ["gov-04", "示范市卫健委网站", "网站", "ftp://www.d.gov.cn/", "示范市卫健委", "", "", "", "", ""],      # 3 网址
    ["gov-05", "示范市民政局网站", "网站", "http://", "示范市民政局", "", "", "", "", ""],                  # 4 bare http://
    ["gov-01", "示范市财政局网站", "网站", "http://www.f.gov.cn/", "示范市财政局", "not-an-address", "", "", "", ""],  # 5 dup + 6 email
    ["gov-07", "示范市文旅局网站", "网站", "http://www.g.gov.cn/", "示范市文旅局", "", "广播", "", "", ""],   # 7 内容类型
    ["gov-08", "示范市交通局网站", "网站", "http://www.h.gov.cn/", "示范市交通局", "", "", "也许", "", ""],   # 8 是否启用
    ["gov-09", "示范市水务局网站", "网站", "http://www.i.gov.cn/", "示范市水务局", "", "", "", "王五", "找办公室"],  # 9 电话
    ["gov-10", "示范市应急局网站", "", "http://www.j.gov.cn/", "示范市应急局", "", "", "", "", ""],         # 10 平台为空
]
EXPECTED = [  # (row of the data, column, a word of the message), in the order of the file
    (2, "名称", "名称不能为空"),
    (3, "平台", "飞鸽传书"),
    (4, "网址", "ftp://"),
    (5, "网址", "缺少域名"),
    (6, "联系邮箱", "not-an-address"),
    (6, "编号", "重复"),
    (7, "内容类型", "广播"),
    (8, "是否启用", "也许"),
    (9, "负责人电话", "找办公室"),
    (10, "平台", "平台不能为空"),
]


def write(tmp_path: Path, fmt: str) -> Path:
    if fmt == "csv":
        path = tmp_path / "名录.csv"
        with open(path, "w", newline="", encoding="utf-8-sig") as fh:
            csv.writer(fh).writerows([HEADER, *ROWS])
    elif fmt == "xlsx":
        from openpyxl import Workbook

        path = tmp_path / "名录.xlsx"
        wb = Workbook()
        ws = wb.active
        for row in [HEADER, *ROWS]:
            ws.append([c if c != "" else None for c in row])
        wb.save(path)
    else:
        path = tmp_path / "名录.yaml"
        entries = [{h: v for h, v in zip(HEADER, row, strict=True) if v != ""} for row in ROWS]
        for entry, row in zip(entries, ROWS, strict=True):
            if row[1] == "":
                entry["名称"] = ""
            if row[2] == "":
                entry["平台"] = ""
        path.write_text(yaml.safe_dump(entries, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def data_row(fmt: str, problem) -> int:
    """Where the file says the problem is: CSV/XLSX count the header line, YAML counts entries."""
    return problem.row - (0 if fmt == "yaml" else 1)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "yaml"])
def test_every_problem_is_reported_in_one_run_in_file_order(tmp_path, fmt):
    path = write(tmp_path, fmt)
    with pytest.raises(RegistryError) as caught:
        load_targets(path)
    problems = caught.value.problems
    got = [(data_row(fmt, p), p.field, p.message) for p in problems]
    assert len(got) == len(EXPECTED), "\n".join(map(str, got))
    # within a row, the file's own order decides (a YAML entry's keys, a sheet's columns)
    by_place = sorted(got, key=lambda g: (g[0], g[1]))
    for (row, column, message), (want_row, want_column, word) in zip(by_place, sorted(EXPECTED), strict=True):
        assert row == want_row and column == want_column and word in message, (row, column, message)
    assert [g[0] for g in got] == sorted(g[0] for g in got)
    if fmt == "yaml":
        assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_the_command_imports_nothing_and_lists_all_ten(tmp_path):
    path = write(tmp_path, "csv")
    env = dict(os.environ, PYTHONPATH=str(ROOT), GOVWATCH_DB=f"sqlite:///{tmp_path / 'gw.db'}",
               GOVWATCH_VAR_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "govwatch", "targets", "import", str(path)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.startswith("  第")]
    assert len(lines) == 10, proc.stderr
    listed = subprocess.run([sys.executable, "-m", "govwatch", "targets", "list"], env=env,
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "gov-01" not in listed.stdout  # the good first row is not imported either
