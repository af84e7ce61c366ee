"""``govwatch extract``: one JSON object per input and line; unreadable inputs do not stop the rest."""
import json
import subprocess
import sys
from pathlib import Path

from govwatch.cli import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "tests" / "fixtures" / "pages"
FIELDS = {"input", "title", "published_at", "published_at_source", "source", "author", "text", "links"}


def run_cli(capsys, *args) -> tuple[int, list[dict]]:
    code = main(["extract", *args])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def test_json_lines_one_per_input(capsys):
    shanxi, wechat = str(PAGES / "shanxi/1.html"), str(PAGES / "wechat/1.html")
    code, lines = run_cli(capsys, shanxi, wechat, "--format", "json")
    assert code == 0
    assert [line["input"] for line in lines] == [shanxi, wechat]
    assert set(lines[0]) == FIELDS
    assert lines[0]["title"] == "山西品牌丝路行（南美站）正式启动"
    assert lines[0]["published_at"] == "2019-09-18T06:23:00+08:00"
    assert lines[0]["published_at_source"] == "meta"
    assert lines[0]["source"] == "山西日报"
    assert lines[1]["published_at"] == "2020-02-12T22:17:54+08:00"
    assert lines[1]["published_at_source"] == "js"
    assert all({"url", "text", "hidden", "area"} <= set(link) for link in lines[0]["links"])


def test_unreadable_file_gives_an_error_line_and_the_others_still_print(capsys, tmp_path):
    missing = str(tmp_path / "missing.html")
    folder = str(tmp_path)
    people = str(PAGES / "people/1.html")
    code, lines = run_cli(capsys, missing, people, folder, "--format", "json")
    assert code == 1
    assert len(lines) == 3
    assert lines[0] == {"input": missing, "error": "无法读取文件：文件不存在"}
    assert lines[1]["title"] == "女儿出嫁，郑板桥画了几笔兰花当嫁妆"
    assert lines[1]["published_at"] == "2019-06-15T08:18:00+08:00"
    assert set(lines[2]) == {"input", "error"} and lines[2]["error"].startswith("无法读取文件")


def test_url_option_resolves_links_and_dates(capsys, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>无日期</title></head><body><h1>一篇没有日期的文章</h1>"
                    "<p>正文。<a href='/a.html'>链接</a></p></body></html>", encoding="gbk")
    url = "http://www.example.gov.cn/xxgk/202311/t20231108_1.html"
    code, lines = run_cli(capsys, str(page), "--url", url)
    assert code == 0
    assert lines[0]["published_at"] == "2023-11-08T00:00:00+08:00"
    assert lines[0]["published_at_source"] == "url"
    assert lines[0]["links"][0]["url"] == "http://www.example.gov.cn/a.html"


def test_full_output_and_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "govwatch", "extract", str(PAGES / "gzggw/1.html"), "--full"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["meta"]["pubdate"] == "2016-11-22 09:53"
    assert data["kind"] == "article" and data["state"] == "live" and data["encoding"] == "utf-8"


def test_unreachable_url_is_an_error_line(capsys):
    code, lines = run_cli(capsys, "http://127.0.0.1:9/nothing-listens-here")
    assert code == 1
    assert lines[0]["input"] == "http://127.0.0.1:9/nothing-listens-here"
    assert lines[0]["error"].startswith("无法获取网页")
