"""Name normalisation: repairs conversion artefacts, never changes meaning."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from desktop.catalogue.normalise import clean_text, drug_key, match_key, normalise_name

# Real names and remarks as the conversions broke them (yao.xlsx, nhsa-api-4750.json).
BROKEN = [
    ("环孢素滴眼液( Ⅲ)", "环孢素滴眼液(Ⅲ)"),
    ("多种微量元素注射液（Ⅲ）", "多种微量元素注射液(Ⅲ)"),
    ("复方\n甘草片", "复方甘草片"),
    ("缓解感冒症状的复方 OTC 制剂", "缓解感冒症状的复方OTC制剂"),
]


def test_repairs_real_artefacts() -> None:
    for broken, fixed in BROKEN:
        assert normalise_name(broken) == fixed


def test_keeps_space_between_latin_words() -> None:
    assert clean_text("包括PDGFRA D842V突变") == "包括PDGFRA D842V突变"
    assert clean_text("受体α (PDGFRA)外显子") == "受体α(PDGFRA)外显子"


def test_match_key_folds_roman_numerals_and_width() -> None:
    assert match_key("环孢素滴眼液(Ⅲ)") == match_key("环孢素滴眼液（III）")
    assert drug_key("阿莫西林", "口服常释剂型") != drug_key("阿莫西林", "颗粒剂")


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
name_chars = st.one_of(cjk, st.sampled_from(list("()（） \n\u3000ⅠⅡⅢABCab12-.")))


@given(st.text(name_chars, min_size=1, max_size=30))
def test_normalise_is_idempotent(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once


@given(st.text(name_chars, min_size=1, max_size=30))
def test_normalised_names_have_no_line_breaks_or_fullwidth_brackets(name: str) -> None:
    out = normalise_name(name)
    assert "\n" not in out and "（" not in out and "）" not in out and "\u3000" not in out


@given(st.text(name_chars, min_size=1, max_size=30))
def test_normalisation_keeps_every_chinese_character_in_order(name: str) -> None:
    def han(s: str) -> list[str]:
        return [c for c in s if "\u4e00" <= c <= "\u9fff"]

    assert han(normalise_name(name)) == han(name)


@given(st.text(name_chars, min_size=1, max_size=30))
def test_match_key_ignores_whitespace_and_bracket_width(name: str) -> None:
    variant = name.replace("(", "（").replace(")", "）").replace(" ", "\n")
    assert match_key(variant) == match_key(name)
