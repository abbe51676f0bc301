"""Reading complaint and praise e-mail with the standard library only (email.parser, mailbox).

Chinese mail arrives in every shape: RFC 2047 subjects in UTF-8 or GB2312 (often really GBK), bodies in
GB2312/GBK/GB18030/UTF-8 with quoted-printable or base64, HTML-only messages, raw 8-bit headers. GB2312 and
GBK are decoded as GB18030 (their superset), so characters outside GB2312 (镕, 堃) survive.
"""

import hashlib
import mailbox
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

_GB = {"gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "gb_2312-80", "csgb2312", "hz-gb-2312"}
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


def _decode(data: bytes, charset: str | None) -> str:
    charset = (charset or "").strip().strip('"').lower()
    if charset in _GB:
        charset = "gb18030"
    candidates = [charset] if charset and charset not in ("unknown-8bit", "us-ascii", "ascii") else []
    candidates += ["utf-8", "gb18030"]
    for name in candidates:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def header_text(value) -> str:
    """A header as text: encoded words decoded with the charset mapping above, raw 8-bit guessed."""
    if value is None:
        return ""
    parts = []
    for chunk, charset in decode_header(value):
        parts.append(_decode(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return " ".join("".join(parts).split())


class _TextOfHtml(HTMLParser):
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
    _SKIP = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self._BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.out).splitlines())
    return "\n".join(line for line in lines if line)


def _body(message: Message) -> str:
    plain = html = None
    for part in message.walk() if message.is_multipart() else [message]:
        if (
            part.is_multipart()
            or part.get_filename()
            or part.get("Content-Disposition", "").startswith("attachment")
        ):
            continue
        kind = part.get_content_type()
        if kind not in ("text/plain", "text/html"):
            continue
        payload = part.get_payload(decode=True) or b""
        text = _decode(payload, part.get_content_charset())
        if kind == "text/plain" and plain is None:
            plain = text
        elif kind == "text/html" and html is None:
            html = text
    if plain is not None and plain.strip():
        return plain.replace("\r\n", "\n").strip()
    return html_to_text(html or "")


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    subject: str
    body: str
    sender: str  # the sender's address (or name when there is no address)
    sent_at: datetime | None


class NotAMail(ValueError):
    """The bytes have none of the headers every e-mail carries."""


_MAIL_HEADERS = ("From", "Subject", "Date", "Message-ID", "To")


def mail_parse(raw: bytes) -> ParsedMail:
    message = BytesParser(policy=compat32).parsebytes(raw[:MAX_MESSAGE_BYTES])
    if not any(message.get(name) for name in _MAIL_HEADERS):
        raise NotAMail("no From, Subject, Date, Message-ID or To header")
    message_id = header_text(message.get("Message-ID")).strip().strip("<>").strip()
    if not message_id:
        # No Message-ID: the content itself identifies the message, so importing it again is still a no-op.
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    name, address = parseaddr(header_text(message.get("From")))
    try:
        sent_at = parsedate_to_datetime(header_text(message.get("Date")))
    except (TypeError, ValueError, IndexError):
        sent_at = None
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = None
    return ParsedMail(
        message_id=message_id[:250],
        subject=header_text(message.get("Subject")),
        body=_body(message),
        sender=address or name,
        sent_at=sent_at,
    )


def _is_mbox(head: bytes) -> bool:
    return head.startswith(b"From ")


def mail_messages_at(path: Path) -> Iterator[bytes]:
    """Every message at `path`: one .eml file, an mbox file, a Maildir, or a folder of .eml files."""
    if path.is_dir():
        if (path / "cur").is_dir() and (path / "new").is_dir():
            box = mailbox.Maildir(str(path), factory=None, create=False)
            for key in sorted(box.keys()):
                yield box.get_bytes(key)
            return
        for file in sorted(path.glob("*.eml")):
            yield file.read_bytes()
        return
    with path.open("rb") as handle:
        head = handle.read(5)
    if _is_mbox(head):
        box = mailbox.mbox(str(path), create=False)
        for key in box.iterkeys():
            yield box.get_bytes(key)
        return
    yield path.read_bytes()


def mail_messages_in_upload(data: bytes) -> list[bytes]:
    """An uploaded .eml or mbox file as its messages."""
    if not _is_mbox(data[:5]):
        return [data]
    with tempfile.NamedTemporaryFile(suffix=".mbox") as handle:
        handle.write(data)
        handle.flush()
        return list(mail_messages_at(Path(handle.name)))
