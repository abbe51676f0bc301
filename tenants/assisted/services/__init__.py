"""Writes of the assisted channels, one module per channel (paper, sms, social)."""

from tenants.assisted.services.paper import (
    PaperEntryInput,
    PaperEntryResult,
    paper_evaluation_enter,
    paper_scan_open,
)
from tenants.assisted.services.sms import InboundResult, sms_inbound_receive, sms_invitation_send
from tenants.assisted.services.social import (
    MailImportReport,
    SocialCommentInput,
    social_comment_record,
    social_mail_import,
)

__all__ = [
    "InboundResult",
    "MailImportReport",
    "PaperEntryInput",
    "PaperEntryResult",
    "SocialCommentInput",
    "paper_evaluation_enter",
    "paper_scan_open",
    "sms_inbound_receive",
    "sms_invitation_send",
    "social_comment_record",
    "social_mail_import",
]
