"""E-mail into social comments: Chinese charsets and transfer encodings, HTML-only mail, de-duplication by
Message-ID, attachment to the object a code names, and the `social_import_mail` command."""

import base64
import mailbox
import quopri
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context

from tenants.accounts.actors import Actor
from tenants.accounts.models import AuditEvent
from tenants.assisted.mail import html_to_text, mail_parse
from tenants.assisted.models import SocialComment
from tenants.assisted.services.social import social_mail_import
from tenants.privacy.crypto import decrypt

BODY_GBK = "A01窗口的王喆同志（工号 S001）耐心解答，一次办结，特此表扬！"


def b64_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def qp_word(text: str) -> str:
    return "=?UTF-8?Q?" + quopri.encodestring(text.encode(), header=True).decode() + "?="


def gbk_base64_mail(message_id: str = "<praise-1@example.cn>") -> bytes:
    """Body in GBK (with 喆, which GB2312 lacks) but labelled gb2312, base64; subject UTF-8 quoted-printable."""
    body = base64.encodebytes(BODY_GBK.encode("gbk")).decode()
    return (
        f"From: {b64_word('张三', 'gb2312')} <zhangsan@example.cn>\r\n"
        "To: ts@zwfw.example.gov.cn\r\n"
        f"Subject: {qp_word('表扬 窗口 W01 的服务')}\r\n"
        "Date: Tue, 24 Nov 2026 10:30:00 +0800\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="gb2312"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + body
    ).encode("ascii")


def html_only_mail() -> bytes:
    html = (
        "<html><head><title>ignored</title><style>p{color:red}</style></head><body>"
        "<p>事项&nbsp;ITEM-001 的办事指南不清晰，</p><div>材料清单与窗口要求不一致。</div>"
        "<script>alert('x')</script></body></html>"
    )
    return (
        "From: li@example.com\r\n"
        f"Subject: {b64_word('办事指南问题', 'utf-8')}\r\n"
        "Message-ID: <html-1@example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        "--b1\r\n"
        'Content-Type: text/html; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quopri.encodestring(html.encode()).decode()
        + "\r\n--b1--\r\n"
    ).encode("ascii")


def mixed_mail_with_attachment() -> bytes:
    attachment = base64.b64encode("附件内容 W99".encode()).decode()
    return (
        "From: wang@example.org\r\n"
        f"Subject: {b64_word('投诉', 'gbk')}\r\n"
        "Message-ID: <mixed-1@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="m1"\r\n\r\n'
        "--m1\r\n"
        "Content-Type: text/plain; charset=GB18030\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + quopri.encodestring("排队两个小时，昇平街道服务站人手不够。".encode("gb18030")).decode()
        + "\r\n--m1\r\n"
        'Content-Type: text/plain; charset=utf-8; name="note.txt"\r\n'
        'Content-Disposition: attachment; filename="note.txt"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n" + attachment + "\r\n--m1--\r\n"
    ).encode("ascii")


def raw_utf8_mail_without_message_id() -> bytes:
    return "From: 赵六 <zhao@example.cn>\r\nSubject: 平台 WEB 无法登录\r\n\r\n登录一直提示系统繁忙。\r\n".encode()


# --- parsing ------------------------------------------------------------------------------------------------
def test_gbk_base64_body_and_utf8_qp_subject_are_decoded():
    mail = mail_parse(gbk_base64_mail())
    assert mail.subject == "表扬 窗口 W01 的服务"
    assert mail.body == BODY_GBK  # 喆 survives: GB2312 is read as GB18030
    assert (mail.message_id, mail.sender) == ("praise-1@example.cn", "zhangsan@example.cn")
    assert mail.sent_at == datetime(2026, 11, 24, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_html_only_mail_is_reduced_to_its_text():
    mail = mail_parse(html_only_mail())
    assert mail.subject == "办事指南问题"
    assert mail.body == "事项 ITEM-001 的办事指南不清晰，\n材料清单与窗口要求不一致。"


def test_attachments_are_not_the_body():
    mail = mail_parse(mixed_mail_with_attachment())
    assert mail.subject == "投诉" and mail.body == "排队两个小时，昇平街道服务站人手不够。"


def test_raw_utf8_header_and_missing_message_id():
    mail = mail_parse(raw_utf8_mail_without_message_id())
    assert mail.subject == "平台 WEB 无法登录" and mail.sender == "zhao@example.cn"
    assert mail.message_id.startswith("sha256:") and mail.sent_at is None


def test_html_to_text_keeps_blocks_apart_and_drops_scripts():
    assert html_to_text("<p>a&amp;b</p><p>c<br>d</p><script>x()</script>") == "a&b\nc\nd"


# --- importing ----------------------------------------------------------------------------------------------
def test_import_attaches_comments_to_the_objects_they_name(world):
    messages = [
        gbk_base64_mail(),
        html_only_mail(),
        mixed_mail_with_attachment(),
        raw_utf8_mail_without_message_id(),
    ]
    with schema_context(world.info.schema):
        report = social_mail_import(actor=Actor.system("tests"), messages=messages)
        comments = {
            c.external_id[:12]: c
            for c in SocialComment.objects.select_related("window", "staff", "item", "platform", "unit")
        }
    assert (report.created, report.duplicates, report.failed) == (4, 0, [])
    praise = comments["praise-1@exa"]
    assert (praise.source_kind, praise.subject, praise.text) == ("email", "表扬 窗口 W01 的服务", BODY_GBK)
    assert (praise.window.code, praise.staff.staff_no, praise.unit, praise.item) == (
        "W01",
        "S001",
        None,
        None,
    )
    assert praise.contact != "zhangsan@example.cn" and decrypt(praise.contact) == "zhangsan@example.cn"
    assert comments["html-1@examp"].item.code == "ITEM-001"
    mixed = comments["mixed-1@exam"]
    assert (mixed.window, mixed.unit, mixed.item, mixed.platform) == (
        None,
        None,
        None,
        None,
    )  # W99 is only in the attachment
    web = next(c for key, c in comments.items() if key.startswith("sha256:"))
    assert web.platform.code == "WEB"


def test_importing_the_same_mail_again_stores_nothing_new(world):
    messages = [gbk_base64_mail(), raw_utf8_mail_without_message_id()]
    with schema_context(world.info.schema):
        first = social_mail_import(actor=Actor.system("tests"), messages=messages)
        again = social_mail_import(actor=Actor.system("tests"), messages=[*messages, gbk_base64_mail()])
        assert SocialComment.objects.count() == 2
        assert AuditEvent.objects.filter(action="social_comment.mail_import").count() == 2
    assert (first.created, again.created, again.duplicates) == (2, 0, 3)


def test_a_mail_without_any_text_is_reported_not_fatal(world):
    empty = b"From: a@example.cn\r\nMessage-ID: <empty@x>\r\n\r\n\r\n"
    with schema_context(world.info.schema):
        report = social_mail_import(actor=Actor.system("tests"), messages=[empty, gbk_base64_mail()])
        assert SocialComment.objects.count() == 1
    assert report.created == 1 and len(report.failed) == 1 and "empty@x" in report.failed[0]


def test_command_imports_an_eml_a_folder_an_mbox_and_a_maildir(world, tmp_path, capsys):
    eml = tmp_path / "one.eml"
    eml.write_bytes(gbk_base64_mail())
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.eml").write_bytes(html_only_mail())
    box = mailbox.mbox(str(tmp_path / "inbox.mbox"))
    box.add(mailbox.mboxMessage(mixed_mail_with_attachment()))
    box.add(mailbox.mboxMessage(gbk_base64_mail()))  # already imported from one.eml
    box.flush()
    box.close()
    maildir = mailbox.Maildir(str(tmp_path / "Maildir"))
    maildir.add(mailbox.MaildirMessage(raw_utf8_mail_without_message_id()))
    for path in (eml, folder, tmp_path / "inbox.mbox", tmp_path / "Maildir"):
        call_command("social_import_mail", "alpha", str(path))
    out = capsys.readouterr().out
    assert "alpha: 1 imported, 0 already there" in out and "alpha: 1 imported, 1 already there" in out
    with schema_context(world.info.schema):
        assert SocialComment.objects.count() == 4


def test_command_refuses_unknown_tenants_and_paths(world, tmp_path):
    (tmp_path / "x.eml").write_bytes(gbk_base64_mail())
    with pytest.raises(CommandError, match="No tenant"):
        call_command("social_import_mail", "nowhere", str(tmp_path / "x.eml"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("social_import_mail", "alpha", str(tmp_path / "missing.eml"))


def test_command_keeps_tenants_apart(world, beta, tmp_path):
    (tmp_path / "x.eml").write_bytes(gbk_base64_mail())
    call_command("social_import_mail", "beta", str(tmp_path / "x.eml"))
    with schema_context(beta.schema):
        comment = SocialComment.objects.get()
        assert comment.window is None and comment.staff is None  # W01 and S001 exist in alpha only
    with schema_context(world.info.schema):
        assert not SocialComment.objects.exists()
