"""Who did it: a person, a machine key or the system. Every service that changes state takes one."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "api_key" | "system"
    id: int | None
    label: str
    role: str = ""

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(kind="system", id=None, label=label)

    @classmethod
    def for_principal(cls, principal) -> "Actor":
        """From request.user: a User or an ApiKeyPrincipal."""
        return principal.actor
