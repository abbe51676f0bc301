"""The SMS reply parser on its own: every accepted form, and the refusals."""

import pytest

from tenants.assisted.sms_parser import SmsParseError, SmsReply, is_opt_out, parse_sms_reply


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", SmsReply(level=1)),
        ("１", SmsReply(level=1)),  # full-width digit
        (" 3 ", SmsReply(level=3)),
        ("回复1", SmsReply(level=1)),
        ("回复：５", SmsReply(level=5)),
        ("“2”", SmsReply(level=2)),
        ("2 3 5", SmsReply(level=2, tags=(3, 5))),
        ("4，2", SmsReply(level=4, tags=(2,))),  # full-width comma
        ("4,2,2", SmsReply(level=4, tags=(2,))),  # a repeated reason counts once
        ("４　２、８", SmsReply(level=4, tags=(2, 8))),  # full-width space and 、
        ("5;1", SmsReply(level=5, tags=(1,))),
        ("很好", SmsReply(level=1)),
        ("好", SmsReply(level=2)),
        ("一般", SmsReply(level=3)),
        ("差", SmsReply(level=4)),
        ("很差", SmsReply(level=5)),
        ("非常满意", SmsReply(level=1)),
        ("满意", SmsReply(level=2)),
        ("基本满意", SmsReply(level=3)),
        ("不满意", SmsReply(level=4)),
        ("非常不满意", SmsReply(level=5)),
        ("差 3", SmsReply(level=4, tags=(3,))),
        ("很差3 5", SmsReply(level=5, tags=(3, 5))),
        ("很好！", SmsReply(level=1)),
        ("很好，谢谢", SmsReply(level=1, comment="谢谢")),
        ("4 2 等了一个小时", SmsReply(level=4, tags=(2,), comment="等了一个小时")),
    ],
)
def test_accepted_forms(text, expected):
    assert parse_sms_reply(text, tag_count=8) == expected


@pytest.mark.parametrize(
    ("text", "reason", "value"),
    [
        ("", "empty", ""),
        ("   ", "empty", ""),
        ("？", "empty", ""),
        ("好的", "unreadable", ""),  # an acknowledgement, not 好
        ("hello", "unreadable", ""),
        ("1号窗口很好", "unreadable", ""),
        ("1-5", "unreadable", ""),
        ("0", "level", "0"),
        ("6", "level", "6"),
        ("12", "level", "12"),
        ("235", "level", "235"),
        ("4 9", "tag", "9"),
        ("4 0", "tag", "0"),
    ],
)
def test_refused_forms(text, reason, value):
    with pytest.raises(SmsParseError) as refused:
        parse_sms_reply(text, tag_count=8)
    assert (refused.value.reason, refused.value.value) == (reason, value)


@pytest.mark.parametrize("text", ["TD", "td", "退订", "ＴＤ"])
def test_unsubscribe_requests(text):
    assert is_opt_out(text)


def test_a_rating_is_not_an_unsubscribe_request():
    assert not is_opt_out("1")
