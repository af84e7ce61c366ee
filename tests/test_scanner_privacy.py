

def test_mobile_in_a_personal_record_with_an_id_number_is_medium():
    from scanner.privacy import scan_privacy
    row = "序号\n姓名\n身份证号码\n联系电话\n1\n林伟启\n330109195010177144\n13964927862\n南山乡"
    hits = {h.rule: h for h in scan_privacy(row)}
    assert hits["privacy.id_number"].severity == "high"
    assert hits["privacy.mobile"].severity == "medium"
    lone = "如有疑问请来电 13964927862 咨询。"
    assert [h.severity for h in scan_privacy(lone)] == ["low"]


def test_old_foreign_card_found_with_and_without_the_trigger():
    """The 15-character card is judged whether the caller passes the automaton's trigger or not."""
    from scanner import load_lexicon, scan_document
    from scanner.privacy import scan_privacy

    text = "永久居留证号码：USA118001010123，有效期至2030年。"
    for foreign in (None, True):
        assert [h.match for h in scan_privacy(text, foreign=foreign)] == ["USA118001010123"]
    assert scan_privacy(text, foreign=False) == []  # the caller saw no context word
    assert [h.match for h in scan_document(load_lexicon(), text=text) if h.rule == "privacy.id_number"] == [
        "USA118001010123"]
    assert scan_privacy("证件号码：USA118001010123，有效期至2030年。") == []  # no context word at all
