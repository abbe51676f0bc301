"""How identity looks when it is not revealed: enough to recognise, never enough to identify."""


def mask_name(name: str) -> str:
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(number: str) -> str:
    number = number.strip()
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_email(address: str) -> str:
    """zhang.min@example.cn → z********@example.cn: the domain stays (it says which mail system)."""
    local, at, domain = address.strip().rpartition("@")
    if not at:
        return "*" * len(domain)
    return (local[:1] + "*" * max(len(local) - 1, 1)) + "@" + domain
