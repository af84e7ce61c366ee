

def test_mobile_in_a_personal_record_with_an_id_number_is_medium():
    from scanner.privacy import scan_privacy
    row = "序号\n姓名\n身份证号码\n联系电话\n1\n林伟启\n330109195010177144\n13964927862\n南山乡"
    hits = {h.rule: h for h in scan_privacy(row)}
    assert hits["privacy.id_number"].severity == "high"
    assert hits["privacy.mobile"].severity == "medium"
    lone = "如有疑问请来电 13964927862 咨询。"
    assert [h.severity for h in scan_privacy(lone)] == ["low"]
