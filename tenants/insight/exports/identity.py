"""Evaluator identity for exports: decrypted a chunk at a time and masked at once; never kept or written clear.

An export of a million ratings decrypts up to three million Fernet tokens (name, phone, ID number). Through
`tenants.privacy.crypto.decrypt` each costs ~10 µs, almost all of it the per-token cipher set-up of the
`cryptography` package, which would make decryption the biggest part of the export. `decrypt_many` does the
same work as Fernet for a whole chunk: every token's HMAC-SHA256 is verified (constant-time compare, each
configured key tried in order as MultiFernet does, the key's HMAC state prepared once), then the AES-128-CBC blocks of all tokens of one key are
decrypted in ONE call (CBC decryption is P_i = D_K(C_i) XOR C_(i-1), with C_0 the token's IV: decrypting
every block with the raw block cipher and XOR-ing with the preceding ciphertext blocks is that definition,
batched), and PKCS7 padding is checked. Anything it does not accept (a token no key signs, a malformed one)
goes through `crypto.decrypt`, which raises as it would anywhere else. tests/insight/test_exports_identity.py
checks it against `crypto.decrypt`, key rotation included.

The clear values live only inside `masked_identities` and leave it masked by tenants.privacy.masking, and
inside `scrubbed_comments`, where the evaluator's name is decrypted only to be removed from the comment.
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

from tenants.privacy.crypto import decrypt
from tenants.privacy.masking import mask_id_number, mask_name, mask_phone
from tenants.privacy.scrub import Vocabulary, scrub

_VERSION = 0x80
_HEADER = 25  # version (1) + timestamp (8) + IV (16)
_MAC = 32
_BLOCK = 16
_STANDARD = bytes.maketrans(b"-_", b"+/")  # URL-safe base64 → standard
_PADDING = {n: bytes([n]) * n for n in range(1, _BLOCK + 1)}  # PKCS7


class _Signer:
    """HMAC-SHA256 with one key (RFC 2104: H(K ^ opad || H(K ^ ipad || m))), the key's inner and outer hash
    states computed once and copied per message, as the standard library's own HMAC does; a third of the
    cost of hmac.digest, which sets the key up again for every message."""

    def __init__(self, key: bytes) -> None:
        block = key.ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(self, message: bytes) -> bytes:
        inner, outer = self.inner.copy(), self.outer.copy()
        inner.update(message)
        outer.update(inner.digest())
        return outer.digest()


@lru_cache(maxsize=4)
def _keys(configured: tuple[str, ...]) -> tuple[tuple[_Signer, Cipher], ...]:
    """(signer, AES-ECB cipher of the encryption key) for each configured Fernet key, in order."""
    keys = []
    for key in configured:
        raw = base64.urlsafe_b64decode(key.strip().encode())
        keys.append((_Signer(raw[:16]), Cipher(algorithms.AES(raw[16:]), modes.ECB())))  # noqa: S305 (module doc)
    return tuple(keys)


def _configured_keys() -> tuple[tuple[_Signer, Cipher], ...]:
    return _keys(tuple(k.strip() for k in settings.IDENTITY_ENCRYPTION_KEYS if k.strip()))


def decrypt_many(tokens: Sequence[str]) -> list[str]:
    """The clear text of each token ("" for ""), exactly as `crypto.decrypt` gives it, a chunk at a time."""
    keys = _configured_keys()
    out = [""] * len(tokens)
    # per key: the positions and raw bytes of the tokens it signs
    positions: list[list[int]] = [[] for _ in keys]
    raws: list[list[bytes]] = [[] for _ in keys]
    signers = [(signer.inner, signer.outer, where.append, group.append)
               for (signer, _cipher), where, group in zip(keys, positions, raws, strict=True)]  # fmt: skip
    slow: list[int] = []
    a2b, equal = binascii.a2b_base64, hmac.compare_digest
    present, encoded = _encoded(tokens)
    for position, text in zip(present, encoded, strict=True):
        try:
            data = a2b(text)
        except binascii.Error:
            slow.append(position)
            continue
        size = len(data) - _HEADER - _MAC
        if size <= 0 or size % _BLOCK or data[0] != _VERSION:
            slow.append(position)
            continue
        body, mac = data[:-_MAC], data[-_MAC:]
        for inner_state, outer_state, add_position, add_data in signers:
            inner, outer = inner_state.copy(), outer_state.copy()  # HMAC: H(K^opad || H(K^ipad || m))
            inner.update(body)
            outer.update(inner.digest())
            if equal(outer.digest(), mac):
                add_position(position)
                add_data(data)
                break
        else:
            slow.append(position)
    for (_signer, cipher), where, group in zip(keys, positions, raws, strict=True):
        if group:
            slow += _decrypt_group(cipher, where, group, out)
    for position in slow:
        out[position] = decrypt(tokens[position])  # raises ImproperlyConfigured, as everywhere else
    return out


def _encoded(tokens: Sequence[str]) -> tuple[list[int], list[bytes]]:
    """The positions of the non-empty tokens and their bytes in the standard base64 alphabet, translated from
    the URL-safe one in one pass over the whole chunk rather than token by token."""
    present = [position for position, token in enumerate(tokens) if token]
    texts = [tokens[position] for position in present]
    try:
        encoded = "\n".join(texts).encode("ascii").translate(_STANDARD).split(b"\n")
    except UnicodeEncodeError:
        encoded = []
    if len(encoded) != len(present):  # a token with a newline or non-ASCII text: one at a time
        encoded = [text.encode("utf-8").translate(_STANDARD) for text in texts]
    return present, encoded


def _decrypt_group(cipher: Cipher, positions: list[int], group: list[bytes], out: list[str]) -> list[int]:
    """Decrypt the verified tokens of one key into `out`; returns the positions whose padding is wrong."""
    ciphertext = b"".join([data[_HEADER:-_MAC] for data in group])
    previous = b"".join([data[9 : -_MAC - _BLOCK] for data in group])  # IV + every block but the last
    decryptor = cipher.decryptor()
    blocks = decryptor.update(ciphertext) + decryptor.finalize()
    length = len(ciphertext)
    plain = (int.from_bytes(blocks, "big") ^ int.from_bytes(previous, "big")).to_bytes(length, "big")
    bad: list[int] = []
    offset = 0
    for position, data in zip(positions, group, strict=True):
        end = offset + len(data) - _HEADER - _MAC
        pad = plain[end - 1]
        if not 1 <= pad <= _BLOCK or not plain.startswith(_PADDING[pad], end - pad, end):
            bad.append(position)
        else:
            try:
                out[position] = plain[offset : end - pad].decode()
            except UnicodeDecodeError:
                bad.append(position)
        offset = end
    return bad


def masked_identities(rows: Sequence[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(name, phone, ID number) tokens → the same, decrypted and masked; blanks stay blank."""
    flat = decrypt_many([token for row in rows for token in row])
    return [
        (mask_name(flat[i]), mask_phone(flat[i + 1]), mask_id_number(flat[i + 2]))
        for i in range(0, len(flat), 3)
    ]


def scrubbed_comments(rows: Sequence[tuple[str, str]]) -> list[str]:
    """(comment, evaluator name token) → the comment scrubbed of personal data (tenants.privacy.scrub, as the
    portal does: phone, ID and card numbers, e-mail addresses, labelled identifiers) and of the evaluator's
    own name, decrypted for that alone, a chunk at a time."""
    wanted = [i for i, (comment, token) in enumerate(rows) if comment and token]
    names = dict(zip(wanted, decrypt_many([rows[i][1] for i in wanted]), strict=True))
    nobody = Vocabulary()
    return [
        scrub(comment, nobody.with_person(names.get(i, ""))) if comment else ""
        for i, (comment, _token) in enumerate(rows)
    ]
