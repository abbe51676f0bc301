"""Segmentation of Chinese comments: domain words stay whole, stop words and punctuation go, phrases are
adjacent keywords within a clause, reason tags become terms. Pure functions: no database."""

from pathlib import Path

from tenants.insight.textmining.segmentation import (
    domain_words,
    is_keyword,
    stop_words,
    terms,
    tokens,
)

CORPUS = [
    line.strip()
    for line in (Path(__file__).parent / "corpus" / "comments.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


def all_keywords() -> set[str]:
    return {k for comment in CORPUS for k in terms(comment).keywords}


def test_the_corpus_is_shipped_and_segments():
    assert len(CORPUS) >= 15
    assert all(tokens(comment) for comment in CORPUS)


def test_known_keywords_are_found_in_the_corpus():
    found = all_keywords()
    for word in ("窗口", "排队", "叫号", "材料", "办事指南", "态度", "预约", "自助机", "停车位", "热线"):
        assert word in found, word


def test_domain_words_are_kept_whole():
    first = terms("工作人员态度很差，材料没有一次性告知，害我跑多次。")
    assert {"一次性告知", "跑多次", "态度", "材料"} <= set(first.keywords)
    assert "一次性" not in first.keywords and "告知" not in first.keywords
    second = terms("叫号系统故障，只能网上办理")
    assert "系统故障" in second.keywords and "网上办理" in second.keywords
    assert "推诿扯皮" in terms("推诿扯皮，谁都不管").keywords
    assert {
        "窗口",
        "排队",
        "办事指南",
        "一次性告知",
        "跑多次",
        "推诿",
        "系统故障",
        "预约",
        "叫号",
    } <= domain_words()


def test_stop_words_punctuation_and_single_characters_are_dropped():
    found = all_keywords()
    for word in (
        "非常",
        "很",
        "我",
        "的",
        "了",
        "办理",
        "工作人员",
        "满意",
        "，",
        "！",
        "。",
        "很差",
        "希望",
    ):
        assert word not in found, word
    assert all(len(k) >= 2 for k in found)
    assert (
        not is_keyword("非常") and not is_keyword("！！") and not is_keyword("2") and not is_keyword("两个")
    )
    assert {"非常", "的", "办理"} <= stop_words()


def test_quantities_are_not_keywords_but_the_hotline_number_is():
    result = terms("等了一个多小时，承诺五个工作日，打12345热线")
    assert "一个多" not in result.keywords and "五个" not in result.keywords
    assert {"小时", "工作日", "12345", "热线"} <= set(result.keywords)


def test_phrases_are_adjacent_keywords_within_a_clause():
    result = terms("窗口排队时间太长，叫号系统故障")
    assert result.phrases == ("窗口排队", "排队时间", "叫号系统故障")
    # a clause break and a negation both end a pair
    assert "时间叫号" not in result.phrases
    assert "预约排队" not in terms("预约后不用排队").phrases


def test_reason_tags_are_terms_and_each_term_counts_once():
    result = terms("排队排队，还是排队", ["long_wait", "attitude", "long_wait"])
    assert result.keywords == ("排队",)
    assert result.tags == ("tag:long_wait", "tag:attitude")
    assert ("tag", "tag:attitude") in result.rows() and ("keyword", "排队") in result.rows()
    assert terms("", ["overdue"]).rows() == [("tag", "tag:overdue")]
    assert terms("   ").rows() == []


def test_full_width_and_latin_text_is_normalised():
    result = terms("ＡＰＰ老是闪退")
    assert "app" in result.keywords and "闪退" in result.keywords
