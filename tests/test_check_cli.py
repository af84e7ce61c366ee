"""govwatch check (pre-publication check) and govwatch lexicon: exit codes, JSON shape, inputs."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from govwatch.cli import main

ROOT = Path(__file__).resolve().parents[1]
BAD = "关于加强管理的通知\n各单位：\n据报道，北朝鲜近日举行会议。申请人张三，身份证号110101199003074514。\n截止目前已完成。\n"
GOOD = "关于做好防汛工作的通知\n各单位：\n市气象台发布暴雨黄色预警信号，请注意防范。联系电话：0351-1234567。\n"
FINDING_KEYS = {"rule", "category", "severity", "match", "start", "end", "snippet", "suggestion"}
FORM_KEYS = {"文字内容是否准确", "政治用语是否规范", "是否涉密（涉军/涉隐私等）", "信息内容"}


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("GOVWATCH_"):
            monkeypatch.delenv(key)


def make_docx(path: Path, paragraphs) -> Path:
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>')
    return path


def run_json(capsys, *args):
    rc = main(["check", "--format", "json", *args])
    out = capsys.readouterr()
    return rc, [json.loads(line) for line in out.out.splitlines() if line.strip()], out.err


def test_json_shape_and_exit_1(tmp_path, capsys):
    f = tmp_path / "draft.txt"
    f.write_text(BAD, encoding="utf-8")
    rc, objs, _ = run_json(capsys, str(f))
    assert rc == 1
    assert len(objs) == 1
    obj = objs[0]
    assert obj["input"] == str(f) and obj["title"] == "关于加强管理的通知"
    assert FORM_KEYS <= set(obj["form"])
    assert obj["form"]["政治用语是否规范"] == "否"
    assert obj["form"]["文字内容是否准确"] == "否"
    assert obj["form"]["是否涉密（涉军/涉隐私等）"] == "是"
    assert obj["form"]["信息内容"] == "原创"
    rules = {x["rule"] for x in obj["findings"]}
    assert {"expression.term", "privacy.id_number", "expression.typo"} <= rules
    for x in obj["findings"]:
        assert FINDING_KEYS <= set(x)


def test_clean_draft_exit_0_and_several_inputs(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    rc, objs, _ = run_json(capsys, str(good))
    assert rc == 0 and objs[0]["findings"] == []
    assert objs[0]["form"]["政治用语是否规范"] == "是"
    bad = tmp_path / "bad.txt"
    bad.write_text(BAD, encoding="gb18030")  # drafts saved by Windows tools
    rc, objs, _ = run_json(capsys, str(good), str(bad))
    assert rc == 1 and [o["input"] for o in objs] == [str(good), str(bad)]


def test_title_option_and_reprint(tmp_path, capsys):
    f = tmp_path / "r.txt"
    f.write_text("会议指出，要抓好落实。\n来源：新华社\n", encoding="utf-8")
    rc, objs, _ = run_json(capsys, str(f), "--title", "震惊！！万万没想到…")
    assert rc == 0
    assert objs[0]["title"] == "震惊！！万万没想到…"
    assert [x["rule"] for x in objs[0]["findings"]] == ["title.clickbait"]
    assert objs[0]["form"]["信息内容"] == "转载" and objs[0]["form"]["来源"] == "新华社"


def test_docx_and_html(tmp_path, capsys):
    docx = make_docx(tmp_path / "d.docx", ["关于某事项的通知", "秘密★1年", "正文内容。"])
    rc, objs, _ = run_json(capsys, str(docx))
    assert rc == 1
    assert [x["rule"] for x in objs[0]["findings"]] == ["secret.marker"]
    html = tmp_path / "p.html"
    html.write_text("<html><head><title>通知</title><script>var x='北朝鲜'</script></head>"
                    "<body><p>详见<a href='https://item.taobao.com/1'>链接</a></p><p>截止目前完成。</p></body></html>",
                    encoding="utf-8")
    rc, objs, _ = run_json(capsys, str(html))
    assert objs[0]["title"] == "通知"
    assert {x["rule"] for x in objs[0]["findings"]} == {"expression.typo", "link.commercial"}
    assert rc == 0


def test_unreadable_input_exit_2_names_file(tmp_path, capsys):
    broken = tmp_path / "坏文件.docx"
    broken.write_bytes(b"not a zip at all")
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    rc, objs, err = run_json(capsys, str(broken), str(good))
    assert rc == 2
    assert "坏文件.docx" in err and "无法读取" in err
    assert objs[0]["error"] and objs[1]["findings"] == []
    rc = main(["check", str(tmp_path / "missing.txt")])
    err = capsys.readouterr().err
    assert rc == 2 and "missing.txt" in err and "不存在" in err


def test_text_format_is_chinese(tmp_path, capsys):
    f = tmp_path / "draft.txt"
    f.write_text(BAD, encoding="utf-8")
    rc = main(["check", str(f)])
    out = capsys.readouterr().out
    assert rc == 1
    for phrase in ("共发现", "【严重】", "修改建议：朝鲜", "信息发布审核登记表", "政治用语是否规范：否"):
        assert phrase in out


def test_stdin_and_lexicon_dir(tmp_path):
    lex = tmp_path / "lex"
    lex.mkdir()
    (lex / "local.txt").write_text("# category: banned.local\n# label: 本地违禁\n本地禁词\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "govwatch", "check", "-", "--format", "json", "--lexicon-dir", str(lex)],
        input="标题\n这里有本 地 禁 词。\n".encode(), capture_output=True, cwd=ROOT, timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("GOVWATCH_")},
    )
    assert proc.returncode == 1, proc.stderr.decode()
    obj = json.loads(proc.stdout.decode().strip())
    assert obj["input"] == "-"
    assert [(x["rule"], x["category"]) for x in obj["findings"]] == [("banned.local", "本地违禁")]


def test_missing_lexicon_dir_is_an_error(tmp_path, capsys):
    f = tmp_path / "a.txt"
    f.write_text(GOOD, encoding="utf-8")
    assert main(["check", str(f), "--lexicon-dir", str(tmp_path / "nope")]) == 2
    assert "词库目录不存在" in capsys.readouterr().err


def test_lexicon_commands(tmp_path, capsys):
    assert main(["lexicon", "check"]) == 0
    assert "词库检查通过" in capsys.readouterr().out
    assert main(["lexicon", "version"]) == 0
    version = capsys.readouterr().out.strip()
    assert len(version) == 12
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.txt").write_text("# category: banned.x\n# severity: huge\n词 =>\n北朝鲜 => 朝鲜\n", encoding="utf-8")
    assert main(["lexicon", "check", "--lexicon-dir", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad / 'x.txt'}:2:" in out and f"{bad / 'x.txt'}:3:" in out and f"{bad / 'x.txt'}:4:" in out
    assert main(["lexicon", "version", "--lexicon-dir", str(bad)]) == 0
    assert capsys.readouterr().out.strip() != version


def test_check_honours_an_active_sensitive_period(tmp_path, capsys):
    """A period declared for now adds its lexicon directory to the check and says so; the same
    period in the past changes nothing."""
    from datetime import timedelta

    from govwatch.models import TZ, now
    from govwatch.periods import make_period
    from govwatch.store import open_store

    lex = tmp_path / "时期词库"
    lex.mkdir()
    (lex / "period.txt").write_text("# category: banned.period\n# label: 时期敏感词\n示范敏感词\n", encoding="utf-8")
    draft = tmp_path / "draft.txt"
    draft.write_text("关于做好工作的通知\n各单位：\n请勿传播示范敏感词相关内容。\n", encoding="utf-8")
    today = now().astimezone(TZ).date()
    store = open_store()
    store.put_period(make_period("测试时期", (today - timedelta(days=1)).isoformat(),
                                 (today + timedelta(days=1)).isoformat(), lexicon_dirs=[str(lex)]).to_dict())
    store.close()
    rc = main(["check", str(draft)])
    out = capsys.readouterr().out
    assert rc == 1 and "敏感时期：测试时期" in out and "时期敏感词" in out and "“示范敏感词”" in out
    rc, objs, _ = run_json(capsys, str(draft))
    assert objs[0]["periods"] == ["测试时期"]
    assert [(x["rule"], x["match"]) for x in objs[0]["findings"]] == [("banned.period", "示范敏感词")]

    # negative: the period is over
    store = open_store()
    store.delete_period("测试时期")
    store.put_period(make_period("测试时期", (today - timedelta(days=10)).isoformat(),
                                 (today - timedelta(days=3)).isoformat(), lexicon_dirs=[str(lex)]).to_dict())
    store.close()
    rc = main(["check", str(draft)])
    out = capsys.readouterr().out
    assert rc == 0 and "敏感时期" not in out and "示范敏感词”" not in out and "未发现问题" in out
    rc, objs, _ = run_json(capsys, str(draft))
    assert "periods" not in objs[0] and objs[0]["findings"] == []


def test_check_without_a_database_creates_none(tmp_path, capsys):
    f = tmp_path / "a.txt"
    f.write_text(GOOD, encoding="utf-8")
    assert main(["check", str(f)]) == 0
    assert "敏感时期" not in capsys.readouterr().out
    # no database (nor its snapshots): the var directory holds at most the lexicon cache
    var = tmp_path / "var"
    assert not var.exists() or [p.name for p in var.iterdir()] == ["cache"]


def test_check_leaves_the_database_as_it_found_it(tmp_path, capsys):
    """A draft check reads the active sensitive period and changes nothing: with a deadline table
    in the settings other than the one the database recorded, the file stays byte for byte what it
    was (no deadline recomputed, no meta written); a normal command still brings the deadlines in
    step."""
    import hashlib
    from datetime import datetime, timedelta

    from govwatch import lifecycle
    from govwatch.models import TZ, UTC, Hit, now
    from govwatch.periods import make_period
    from govwatch.settings import load_settings
    from govwatch.store import open_store

    t0 = datetime(2026, 11, 2, tzinfo=UTC)
    lex = tmp_path / "时期词库"
    lex.mkdir()
    (lex / "period.txt").write_text("# category: banned.period\n# label: 时期敏感词\n示范敏感词\n", encoding="utf-8")
    store = open_store()
    lifecycle.record_hits(store, [(None, "site-a", Hit("expression.term", "不规范表述", "high", match="高",
                                                       url="http://a/h"))], at=t0)
    assert lifecycle.follow_deadline_settings(store, load_settings()) == 0  # the defaults' table recorded
    today = now().astimezone(TZ).date()
    store.put_period(make_period("测试时期", (today - timedelta(days=1)).isoformat(),
                                 (today + timedelta(days=1)).isoformat(), lexicon_dirs=[str(lex)]).to_dict())
    (fid,) = [f.id for f in store.list_findings()]
    assert store.get_finding(fid).deadline == t0 + timedelta(days=3)
    store.close()
    (tmp_path / "govwatch.toml").write_text("[deadlines_days]\nhigh = 9\n", encoding="utf-8")  # changed since
    db = tmp_path / "var" / "govwatch.db"
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in db.parent.iterdir() if p.is_file()}

    draft = tmp_path / "draft.txt"
    draft.write_text("关于做好工作的通知\n各单位：\n请勿传播示范敏感词相关内容。\n", encoding="utf-8")
    rc = main(["check", str(draft)])
    out = capsys.readouterr()
    assert rc == 1 and "敏感时期：测试时期" in out.out and "“示范敏感词”" in out.out  # the period lookup kept
    assert "整改期限" not in out.err
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in db.parent.iterdir() if p.is_file()}
    assert after == before  # byte for byte, no journal left behind
    store = open_store()
    assert store.get_finding(fid).deadline == t0 + timedelta(days=3)
    assert store.get_meta(lifecycle.DEADLINE_TABLE_KEY) == json.dumps(lifecycle.deadline_days(None), sort_keys=True)
    store.close()

    # negative: a normal command performs the follow-up
    assert main(["findings", "list"]) == 0
    assert "1 个未完成问题的整改时限已按新期限重新计算" in capsys.readouterr().err
    store = open_store()
    assert store.get_finding(fid).deadline == t0 + timedelta(days=9)
    assert json.loads(store.get_meta(lifecycle.DEADLINE_TABLE_KEY))["high"] == 9
    store.close()


def test_check_says_which_pdf_pages_it_did_not_read(tmp_path, capsys):
    from govwatch.demo.hostile import pdf_bytes

    f = tmp_path / "公示.pdf"
    f.write_bytes(pdf_bytes(["Name Zhang San ID 110101199003074514", "Sign here .......... " * 2000, "end"]))
    rc = main(["check", str(f)])
    out = capsys.readouterr().out
    assert rc == 1 and "（未检查：第 2 页未读取：" in out
    rc, objs, _ = run_json(capsys, str(f))
    assert objs[0]["unread"][0].startswith("第 2 页未读取")
    ok = tmp_path / "ok.pdf"
    ok.write_bytes(pdf_bytes(["Name Zhang San", "end"]))
    rc, objs, _ = run_json(capsys, str(ok))
    assert not any("页未读取" in note for note in objs[0]["unread"])  # (an OCR note may be there)
