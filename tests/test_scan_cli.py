"""`govwatch scan`: stored items scanned once per lexicon version; --rescan after a lexicon update."""
from datetime import datetime

from govwatch.cli import main
from govwatch.models import UTC, Item, Target
from govwatch.store import FindingFilter, open_store


def setup(tmp_path):
    store = open_store()
    store.upsert_targets([Target(id="s", name="示范网站", url="http://www.demo.gov.cn/")])
    store.upsert_items([
        Item(target_id="s", url="http://www.demo.gov.cn/art/1.html", title="交流会召开",
             text="来自北朝鲜的代表团参加了交流会。会议期间宣传了示范特产金丝贡枣。",
             published_at=datetime(2026, 11, 20, tzinfo=UTC)),
        Item(target_id="s", url="http://www.demo.gov.cn/art/2.html", title="工作动态",
             text="全市政务公开工作稳步推进。", published_at=datetime(2026, 11, 21, tzinfo=UTC)),
    ])
    return store


def test_scan_once_per_version_and_rescan_after_a_lexicon_update(tmp_path, monkeypatch, capsys):
    store = setup(tmp_path)
    assert main(["scan"]) == 0
    assert "扫描 2 条" in capsys.readouterr().out
    assert [f.match for f in store.list_findings()] == ["北朝鲜"]

    assert main(["scan"]) == 0  # nothing new to scan
    assert "扫描 0 条" in capsys.readouterr().out

    # an office adds its own term: items scanned with the old version are left alone until --rescan
    user = tmp_path / "lexicon"
    user.mkdir()
    (user / "local.txt").write_text("# category: ads.local\n# label: 商业广告\n# severity: high\n金丝贡枣\n",
                                    encoding="utf-8")
    monkeypatch.setenv("GOVWATCH_LEXICON_DIRS", str(user))
    assert main(["scan"]) == 0
    assert "扫描 0 条" in capsys.readouterr().out
    assert main(["scan", "--rescan"]) == 0
    assert "扫描 2 条" in capsys.readouterr().out
    matches = sorted(f.match for f in store.list_findings(FindingFilter(target_id="s")))
    assert matches == ["北朝鲜", "金丝贡枣"]
    # the first finding was seen again, not duplicated, and kept its history
    first = [f for f in store.list_findings() if f.match == "北朝鲜"][0]
    assert len(first.history) == 1 and first.last_seen_at >= first.first_seen_at
