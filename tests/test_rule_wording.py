"""No rule value reaches a user untranslated: every rule of the catalogue, rendered through the
findings table of the CLI, the alert text and the digest, shows its Chinese label and Chinese
words for the codes some judges record as the match."""
from datetime import UTC, datetime

import pytest

from govwatch import rules
from govwatch.alerts.compose import digest_message, finding_message
from govwatch.commands.findings import _rows
from govwatch.models import Finding, Target

AT = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
# what the judges of these rules record as the match (scanner/availability.py, scanner/site.py)
CODED_MATCHES = {"site.down_now": "down", "site.unreachable": "unreachable", "site.slow": "3500ms"}
TARGET = Target(id="city", name="示范市人民政府门户网站", platform="website", url="http://www.example.gov.cn/",
                owner="示范市人民政府办公室")


def finding_of(rule: rules.Rule) -> Finding:
    return Finding(target_id=TARGET.id, rule=rule.id, category="", severity=rule.severity,
                   match=CODED_MATCHES.get(rule.id, ""), first_seen_at=AT, last_seen_at=AT)


@pytest.mark.parametrize("rule", rules.RULES_LIST, ids=lambda r: r.id)
def test_every_rule_reads_in_chinese(rule):
    f = finding_of(rule)
    row = _rows([f], {TARGET.id: TARGET.name}, AT)[0]
    assert row[4] == rule.label
    shown = " ".join(str(c) for c in row[4:6])
    message = finding_message(TARGET, [f])
    digest = digest_message({TARGET.id: (TARGET, [f])}, "2026-11-03")
    for text in (shown, message.text, digest.text):
        assert rule.label in text
        for code in CODED_MATCHES.values():
            assert f"“{code}”" not in text and f"：{code}" not in text, (code, text)
    if rule.id in CODED_MATCHES:
        assert rules.display_match(rule.id, f.match) in message.text


def test_coded_matches_have_words():
    assert rules.display_match("site.down_now", "down") == "网站当前无法访问"
    assert rules.display_match("site.slow", "3500ms") == "3500 毫秒"
    assert rules.display_match("banned.rumor", "down") == "down"  # only the codes of those rules
