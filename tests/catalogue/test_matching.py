"""Notice names against catalogue names: radicals ignored (凡例 七), dosage forms merged (凡例 八)."""

from __future__ import annotations

from desktop.catalogue import matching as m

NEG = "协议期内谈判药品"


def test_radicals_are_ignored_fanli_7():
    # Seed 000 三(三) and 001 二(二) name the drugs without their radical; the catalogue keeps it.
    pairs = [
        ("瑞格列汀", "口服常释", "磷酸瑞格列汀片"),
        ("替格列汀", "口服常释", "氢溴酸替格列汀片"),
        ("福格列汀", "口服常释", "苯甲酸福格列汀片"),
        ("二甲双胍（Ⅳ）", "缓释控释", "盐酸二甲双胍缓释片(Ⅳ)"),
        ("达格列净二甲双胍(I)", "缓释控释", "达格列净二甲双胍缓释片(Ⅰ)"),
    ]
    for item, form, entry in pairs:
        assert m.match(item, form, m.read_entry(entry, None, NEG)) == m.Match("exact"), (item, entry)


def test_roman_numerals_and_other_drugs_stay_apart():
    # 凡例 七: a roman numeral makes another drug; 二甲双胍(Ⅳ) is not 二甲双胍 nor 二甲双胍Ⅱ.
    assert m.match("二甲双胍（Ⅳ）", "缓释控释", m.read_entry("二甲双胍、二甲双胍Ⅱ", "缓释控释剂型", "西药")) is None
    assert m.match("瑞格列汀", "口服常释", m.read_entry("瑞格列汀二甲双胍片(Ⅰ)", None, NEG)) is None
    # A binary salt's metal is the active part: 氯化钾 is not 氯化钠.
    assert m.generic_key("氯化钾") != m.generic_key("氯化钠")
    assert m.generic_key("注射用艾普拉唑钠".removeprefix("注射用")) == m.generic_key("艾普拉唑")


def test_form_family_applies_only_when_the_notice_form_is_absent_fanli_8():
    upa = m.read_entry("乌帕替尼缓释片", None, NEG)
    found = m.match("乌帕替尼", "口服常释", upa)
    assert found is not None and found.level == "family"
    assert "口服常释剂型" in found.note and "缓释控释剂型" in found.note
    # 玛巴洛沙韦 has a 片 (口服常释): the removal does not reach its 干混悬剂.
    tablet = m.read_entry("玛巴洛沙韦片", None, "西药")
    suspension = m.read_entry("玛巴洛沙韦干混悬剂", None, NEG)
    assert m.match("玛巴洛沙韦", "口服常释剂型", tablet) == m.Match("exact")
    assert m.match("玛巴洛沙韦", "口服常释剂型", suspension, lambda: [tablet, suspension]) is None
    # Another route never matches: an injection is not the tablet.
    assert m.match("乌帕替尼", "注射剂", upa) is None


def test_resolve_says_why_nothing_matched():
    rows = [("x-1", "乌帕替尼缓释片", None, NEG)]
    assert m.resolve("乌帕替尼", "注射剂", rows).reason.startswith("通用名相同但剂型不同")
    assert "没有这个通用名" in m.resolve("环孢素滴眼液(Ⅲ)", None, [("x-2", "环孢素滴眼液(Ⅱ)", None, NEG)]).reason
