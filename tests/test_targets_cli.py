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


# ------------------------------------------------------------- registry findings close when fixed (issue 20)

def _registry_yaml(path, *, second_account: bool, qualified: str, second_enabled: bool = True) -> None:
    rows = [
        "- {name: 示范教育, platform: wechat, account_id: gh_a, owner: 示范市教育局}",
        "- {name: 示范文旅, platform: douyin, account_id: dy_1, owner: 示范市文旅局, operator_type: 外包,"
        f" operator_name: 某传媒公司{qualified}}}",
    ]
    if second_account:
        enabled = "" if second_enabled else "enabled: false, "
        rows.append("- {" + enabled + "name: 示范教育招考, platform: wechat, account_id: gh_b, owner: 示范市教育局}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _registry_findings():
    from govwatch.settings import load_settings

    store = open_store(settings=load_settings())
    try:
        return {(f.target_id, f.rule): f for f in store.list_findings() if f.rule.startswith("registry.")}
    finally:
        store.close()


def test_registry_findings_are_rectified_when_a_reimport_fixes_them(tmp_path, capsys):
    path = tmp_path / "名录.yaml"
    _registry_yaml(path, second_account=True, qualified="")
    assert main(["targets", "import", str(path)]) == 0
    found = _registry_findings()
    rules = sorted(rule for _, rule in found)
    assert rules == ["registry.duplicate_account", "registry.duplicate_account", "registry.outsourced_unqualified"]
    assert {f.status for f in found.values()} == {"open"}
    capsys.readouterr()

    # a re-import that changes nothing keeps them open
    assert main(["targets", "import", str(path)]) == 0
    assert {f.status for f in _registry_findings().values()} == {"open"}
    assert "已整改" not in capsys.readouterr().out

    # the second account is disabled, the operator's qualification is recorded
    _registry_yaml(path, second_account=True, second_enabled=False, qualified=", operator_qualified: 是")
    assert main(["targets", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "名录更新后已整改 3 个问题" in out and "名录检查发现" not in out
    after = _registry_findings()
    assert {f.status for f in after.values()} == {"rectified"}
    assert all(f.history[-1]["note"] == "名录更新后复查未再发现该问题" for f in after.values())

    # the problem is back: opened again, not left 已整改
    _registry_yaml(path, second_account=True, qualified=", operator_qualified: 是")
    assert main(["targets", "import", str(path)]) == 0
    again = _registry_findings()
    dup = [f for (_, rule), f in again.items() if rule == "registry.duplicate_account"]
    assert {f.status for f in dup} == {"open"} and dup[0].history[-1]["note"] == "名录检查：问题再次出现"
    assert next(f for (_, rule), f in again.items() if rule == "registry.outsourced_unqualified").status == "rectified"


def test_registry_findings_closed_by_people_stay_closed(tmp_path, capsys):
    from govwatch.findings import set_status
    from govwatch.settings import load_settings

    path = tmp_path / "名录.yaml"
    _registry_yaml(path, second_account=False, qualified="")
    assert main(["targets", "import", str(path)]) == 0
    f = next(iter(_registry_findings().values()))
    store = open_store(settings=load_settings())
    set_status(store, f.id, "误报", by="张三", note="已核实具备资质")
    store.close()
    _registry_yaml(path, second_account=False, qualified=", operator_qualified: 是")
    assert main(["targets", "import", str(path)]) == 0
    assert _registry_findings()[(f.target_id, f.rule)].status == "false_positive"
