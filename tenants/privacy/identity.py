"""Evaluator and applicant identity: validated, encrypted for storage, masked for display."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tenants.privacy.crypto import decrypt, encrypt, keyed_hash
from tenants.privacy.masking import mask_id_number, mask_name, mask_phone

ID_TYPES = ("resident_id", "passport", "hk_macao_permit", "taiwan_permit", "credit_code", "other")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")
_CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CODES = "10X98765432"


def resident_id_valid(number: str) -> bool:
    """GB 11643 checksum of an 18-digit resident identity number."""
    if not _RESIDENT_ID.match(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _CHECK_WEIGHTS, strict=True))
    return _CHECK_CODES[total % 11] == number[17]


@dataclass(frozen=True)
class Identity:
    name: str = ""
    phone: str = ""
    id_type: str = ""
    id_number: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.phone or self.id_number)

    def encrypted(self) -> dict[str, str]:
        return {
            "name": encrypt(self.name),
            "phone": encrypt(self.phone),
            "id_type": self.id_type,
            "id_number": encrypt(self.id_number),
            "hash": keyed_hash(self.id_number or self.phone),
        }

    def masked(self) -> dict[str, str]:
        return {
            "name": mask_name(self.name),
            "phone": mask_phone(self.phone),
            "id_type": self.id_type,
            "id_number": mask_id_number(self.id_number),
        }


def identity_from_input(data: dict, *, field: str) -> Identity:
    """Validate `{"name", "phone", "id_type", "id_number"}`; errors name `field.<key>`."""
    errors: dict[str, list[str]] = {}
    name = str(data.get("name") or "").strip()
    phone = str(data.get("phone") or "").strip()
    id_type = str(data.get("id_type") or "").strip()
    id_number = str(data.get("id_number") or "").strip().upper()
    if len(name) > 50:
        errors[f"{field}.name"] = [_("A name is at most 50 characters.")]
    if phone and not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        errors[f"{field}.phone"] = [_("Enter an 11-digit mobile number or a landline like 020-12345678.")]
    if id_number and id_type not in ID_TYPES:
        errors[f"{field}.id_type"] = [_("Choose an ID type: %(types)s.") % {"types": ", ".join(ID_TYPES)}]
    elif id_type == "resident_id" and not resident_id_valid(id_number):
        errors[f"{field}.id_number"] = [_("This is not a valid 18-digit resident ID number.")]
    elif len(id_number) > 40:
        errors[f"{field}.id_number"] = [_("An ID number is at most 40 characters.")]
    if errors:
        raise ValidationError(errors)
    return Identity(name=name, phone=phone, id_type=id_type if id_number else "", id_number=id_number)


def identity_from_row(row, prefix: str) -> Identity:
    """Decrypt `<prefix>_name/_phone/_id_type/_id_number` of a model instance."""
    return Identity(
        name=decrypt(getattr(row, f"{prefix}_name")),
        phone=decrypt(getattr(row, f"{prefix}_phone")),
        id_type=getattr(row, f"{prefix}_id_type"),
        id_number=decrypt(getattr(row, f"{prefix}_id_number")),
    )
