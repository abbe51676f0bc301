"""Scrubbing a comment before it is published: what goes, what stays."""

import pytest
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.services import user_create
from tenants.portal.selectors import scrub_vocabulary
from tenants.privacy.scrub import MASK, Vocabulary, scrub
from tests.conftest import PASSWORD
from tests.factories import StaffFactory

STAFF = Vocabulary.of(names=["张敏", "欧阳娜娜"], codes=["S001", "GD0012"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13912345678", "电话＊＊"),
        ("电话 139-1234-5678 找我", "电话 ＊＊ 找我"),
        ("电话：１３９１２３４５６７８", "电话：＊＊"),
        ("号码139****5678", "号码＊＊"),
        ("尾号****5678", "尾号＊＊"),
        ("尾号5678的手机", "尾号＊＊的手机"),
        ("身份证11010519491231002X办理", "身份证＊＊办理"),
        ("证件 110105********002x", "证件 ＊＊"),
        ("邮箱 someone.name@example.com.cn 联系", "邮箱 ＊＊ 联系"),
        ("微信号 wx_abc123", "微信号 ＊＊"),
        ("工号：A12 的同志", "工号：＊＊ 的同志"),
        ("一三九一二三四五六七八", "＊＊"),
        ("张敏态度不好", "＊＊态度不好"),
        ("欧阳娜娜和张敏", "＊＊和＊＊"),
        ("S001号窗口、gd0012", "＊＊号窗口、＊＊"),
        ("2026年3月等了30分钟，跑了3次", "2026年3月等了30分钟，跑了3次"),  # a year, minutes, times: kept
        ("窗口很好", "窗口很好"),
        ("", ""),
    ],
)
def test_scrub(text, expected):
    assert scrub(text, STAFF) == expected


def test_the_evaluators_own_name_and_given_name_go():
    vocabulary = STAFF.with_person("王秀英")
    assert scrub("我是王秀英，秀英说话算数", vocabulary) == "我是＊＊，＊＊说话算数"
    assert STAFF.with_person("") is STAFF and STAFF.with_person("王") is STAFF


def test_short_names_and_codes_are_not_looked_for():
    vocabulary = Vocabulary.of(names=["王", " "], codes=["1", ""])
    assert scrub("王先生说1号窗口好", vocabulary) == "王先生说1号窗口好"


def test_no_mask_is_ever_doubled():
    assert scrub("张敏张敏13912345678", STAFF) == MASK


def test_the_vocabulary_holds_only_the_staff_and_accounts_the_texts_name(world):
    with schema_context(world.info.schema):
        StaffFactory(staff_no="S900", name="赵一曼", unit=world.hall)
        StaffFactory(staff_no="S901", name="钱学森", unit=world.hall)
        user_create(
            actor=Actor.system("tests"),
            email="x@alpha.example",
            role="officer",
            password=PASSWORD,
            display_name="陈办理",
        )
        vocabulary = scrub_vocabulary(["张敏和陈办理都说 s900 不在", "无关"])
    # a staff member named by number brings the name along; one not named at all stays out
    assert vocabulary.names == {"张敏", "陈办理", "赵一曼"}
    assert vocabulary.codes == {"S001", "S900"}
