"""`govwatch targets import/list/export` against the store: a bad file changes nothing stored."""
from pathlib import Path

import pytest

from govwatch.cli import main
from govwatch.store import open_store

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("fmt", ["yaml", "csv", "xlsx"])
def test_import_export_import_round_trips_through_the_store(tmp_path, fmt, capsys):
    assert main(["targets", "import", str(EXAMPLES / f"targets.{fmt}")]) == 0
    store = open_store()
    before = {t.id: t.registry_dict() for t in store.list_targets()}
    assert len(before) == 7
    out = tmp_path / f"导出.{fmt}"
    assert main(["targets", "export", str(out)]) == 0
    assert main(["targets", "import", str(out)]) == 0
    assert "新增 0 个，更新 7 个" in capsys.readouterr().out
    assert {t.id: t.registry_dict() for t in store.list_targets()} == before


def test_a_bad_row_imports_nothing_and_keeps_what_is_stored(tmp_path, capsys):
    assert main(["targets", "import", str(EXAMPLES / "targets.yaml")]) == 0
    store = open_store()
    portal = store.get_target("sfs-portal")
    store.update_target_state("sfs-portal", status="up")
    bad = tmp_path / "名录.csv"
    bad.write_text("编号,名称,平台,网址,联系邮箱\n"
                   "sfs-portal,改过的名称,网站,https://www.shifan.gov.cn/,a@shifan.gov.cn\n"
                   "new-site,新网站,网站,https://new.gov.cn/,不是邮箱\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["targets", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "名录.csv" in err and "第3行" in err and "联系邮箱" in err and "未导入任何记录" in err
    after = store.get_target("sfs-portal")
    assert after.name == portal.name and after.status == "up"
    assert store.get_target("new-site") is None
    # registry checks ran on the good import: the example has a duplicate account and an outsourcing case
    rules = {f.rule for f in store.list_findings()}
    assert {"registry.duplicate_account", "registry.outsourced_unqualified"} <= rules
