"""The normaliser: equivalent forms share a key, distinct names never do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.screening import normalize_name
from compliance.screening.normalize import analyse, to_simplified
from compliance.screening.orgtypes import ABBREVIATIONS, GENERIC_WORDS, LEGAL_FORMS, STOPWORDS


def key(name: str) -> str:
    return analyse(name)[0].compact


def test_single_letters_are_one_token_so_distinct_initials_stay_distinct() -> None:
    # The bug of the old legal-form list (`s a`, `b v`, `l l c` as single letters): these all became
    # `electronics` / `m i`. Licence party matching depends on this never merging names.
    assert normalize_name("S&C Electronics") != normalize_name("L&N Electronics")
    assert normalize_name("S.M.I.C.") == "smic"
    assert normalize_name("S M I C") == "smic"
    assert normalize_name("S. A. Holdings") != normalize_name("B. V. Holdings")
    assert normalize_name("A&B Trading") != normalize_name("A&C Trading")


@pytest.mark.parametrize(
    ("variant", "listed"),
    [
        ("HUAWEI TECHNOLOGIES CO., LIMITED", "Huawei Technologies Co., Ltd."),
        ("huawei technologies co ltd", "Huawei Technologies Co., Ltd."),
        ("Huawei Tech. Co", "Huawei Technologies Co., Ltd."),  # abbreviation, legal form
        ("Ｈｕａｗｅｉ　Ｔｅｃｈｎｏｌｏｇｉｅｓ", "Huawei Technologies"),  # full-width
        ("Huаwei Тechnologies", "Huawei Technologies"),  # Cyrillic а and Т
        ("Ηuawei Technologies", "Huawei Technologies"),  # Greek Eta
        ("Hua Wei Technologies", "Huawei Technologies"),  # spacing
        ("Zhìpǔ Huázhāng", "Zhipu Huazhang"),  # pinyin tone marks
        ("Cambricon (Xi'an) Integrated Circuit", "Cambricon Xian Integrated Circuit Co Ltd"),
        ("Semiconductor Mfg. Intl. Corp.", "Semiconductor Manufacturing International Corporation"),
        ("Müller GmbH & Co. KG", "Muller"),
        ("Foo Sp. z o.o.", "FOO"),
        ("PJSC Example Bank", "Example Bank"),
        ("ООО Ромашка", "Romashka"),  # Russian legal form and transliteration
        ("The Boeing Company", "Boeing"),
        ("Haiguang Xinxi Jishu Youxian Gongsi", "Haiguang Xinxi Jishu"),  # pinyin legal form
        ("華為技術有限公司", "华为技术有限公司"),  # traditional -> simplified
        ("华为技术股份有限公司", "华为技术有限公司"),  # another Chinese legal form
        ("摩尔线程智能科技（北京）有限责任公司", "摩尔线程智能科技(北京)股份有限公司"),
    ],
)
def test_equivalent_forms_share_the_key(variant: str, listed: str) -> None:
    assert key(variant) == key(listed)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Huawei", "Huawai"),
        ("Sophgo Technologies", "Sophon Technologies"),
        ("Inspur Group", "Inspur"),  # a group and its subsidiaries are separate entries
        ("General Dynamics", "General Dynamics Land Systems"),
        ("Elec Co", "Electric Co"),  # `Elec.` is ambiguous: fuzzy, not equivalent
        ("华为", "华威"),  # same pinyin, different company
        ("Wang Li", "Li Wang"),  # word order is not equivalent (Chinese personal names)
        ("3A090 Trading", "3A091 Trading"),
    ],
)
def test_distinct_names_keep_distinct_keys(a: str, b: str) -> None:
    assert key(a) != key(b)


def test_a_name_of_legal_forms_only_is_kept_not_emptied() -> None:
    assert normalize_name("Company Limited") == "company limited"
    assert normalize_name("Co., Ltd.") != ""
    assert analyse("???")[0].empty


def test_han_names_keep_their_characters_and_carry_pinyin() -> None:
    form = analyse("中芯国际集成电路制造有限公司")[0]
    assert form.compact == "中芯国际集成电路制造" and form.han
    assert form.pinyin == "zhongxinguojijichengdianluzhizao"
    assert to_simplified("華為") == "华为"


def test_a_branch_names_its_company() -> None:
    assert "huaweitechnology" in analyse("Huawei Technologies Co., Ltd. Shenzhen Branch")[0].principal
    assert "华为技术" in analyse("华为技术有限公司深圳分公司")[0].principal
    assert "sophontechnologybeijing" in analyse("Sophon Technology (Beijing) Branch Office")[0].principal
    assert analyse("Huawei Technologies")[0].principal == ()


def test_a_word_wholly_in_look_alikes_is_read_both_ways() -> None:
    readings = {f.compact for f in analyse("ЅМІС")}  # Cyrillic DZE, EM, I, ES
    assert "smic" in readings and len(readings) == 2


_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=9).filter(
    lambda w: w not in GENERIC_WORDS and w not in ABBREVIATIONS and (w,) not in LEGAL_FORMS and w not in STOPWORDS
)


@settings(max_examples=300)
@given(words=st.lists(_WORDS, min_size=1, max_size=4), data=st.data())
def test_changing_one_letter_of_a_word_changes_the_key(words: list[str], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(words) - 1))
    j = data.draw(st.integers(0, len(words[i]) - 1))
    letter = data.draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz").filter(lambda c: c != words[i][j]))
    other = [*words]
    other[i] = words[i][:j] + letter + words[i][j + 1 :]
    if other[i] in ABBREVIATIONS or other[i] in GENERIC_WORDS or (other[i],) in LEGAL_FORMS or other[i] in STOPWORDS:
        return  # the changed word became a known word; its own test is above
    assert key(" ".join(words)) != key(" ".join(other))


_TRANSFORMS = [
    str.upper,
    str.lower,
    lambda s: s.replace(" ", "  "),
    lambda s: s + " Co., Ltd.",
    lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),
    lambda s: s.replace("a", "\u0430").replace("o", "\u043e"),  # Cyrillic look-alikes inside Latin words
    lambda s: s.replace(" ", ", "),
]


@settings(max_examples=300)
@given(words=st.lists(_WORDS, min_size=1, max_size=4), picks=st.lists(st.integers(0, len(_TRANSFORMS) - 1), max_size=4))
def test_equivalence_transformations_never_change_the_key(words: list[str], picks: list[int]) -> None:
    name = " ".join(w.capitalize() for w in words)
    variant = name
    for p in picks:
        variant = _TRANSFORMS[p](variant)
    assert key(variant) == key(name)
