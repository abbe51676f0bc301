"""Reads on the organisation for the staff screens."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from tenants.organisation.models import Membership, Staff, Unit

TREE_DEPTH = 3  # levels shown at once below the chosen root; deeper levels open from their parent


@dataclass
class TreeNode:
    unit: Unit
    children: list["TreeNode"] = field(default_factory=list)
    hidden_children: int = 0  # sub-units beyond the depth shown


def _depth(path: str) -> int:
    return path.count("/") - 1


def unit_tree(*, root: Unit | None = None, depth: int = TREE_DEPTH) -> list[TreeNode]:
    """The unit tree from `root` (or from the top), `depth` levels deep, in one indexed query plus one count.

    The materialised path makes a subtree a prefix query and a level a regular expression on it."""
    base = _depth(root.path) if root else 0
    low, high = (base if root else 1), base + depth
    units = Unit.objects.filter(path__regex=rf"^(/[0-9]+){{{low},{high}}}/$")
    if root is not None:
        units = units.filter(path__startswith=root.path)
    units = list(units.order_by("path"))
    nodes = {u.pk: TreeNode(u) for u in units}
    tops = []
    for unit in units:
        node = nodes[unit.pk]
        if unit.parent_id in nodes and (root is None or unit.pk != root.pk):
            nodes[unit.parent_id].children.append(node)
        else:
            tops.append(node)
    frontier = [u.pk for u in units if _depth(u.path) == high]
    for parent_id, n in (
        Unit.objects.filter(parent_id__in=frontier)
        .values_list("parent_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        nodes[parent_id].hidden_children = n
    for node in nodes.values():
        node.children.sort(key=lambda n: n.unit.code)
    tops.sort(key=lambda n: n.unit.code)
    return tops


def unit_ancestors(*, unit: Unit) -> list[Unit]:
    ids = [int(p) for p in unit.path.strip("/").split("/") if p][:-1]
    by_id = Unit.objects.in_bulk(ids)
    return [by_id[i] for i in ids if i in by_id]


def unit_search(*, q: str, limit: int = 50) -> QuerySet[Unit]:
    return Unit.objects.filter(Q(code__icontains=q) | Q(name__icontains=q)).order_by("code")[:limit]


def staff_list(*, q: str = "", active: str = "") -> QuerySet[Staff]:
    staff = Staff.objects.select_related("unit").order_by("staff_no")
    if q:
        staff = staff.filter(Q(staff_no__icontains=q) | Q(name__icontains=q))
    if active in ("0", "1"):
        staff = staff.filter(active=active == "1")
    return staff


def unit_contains(*, outer: Unit, inner: Unit) -> bool:
    """True when `inner` is `outer` or anywhere below it (materialised paths include the unit itself)."""
    return inner.path.startswith(outer.path)


def membership_of(user) -> "Membership | None":
    """The account's place in the organisation, or None (tenant-wide accounts and machines have none)."""
    if not getattr(user, "pk", None) or not hasattr(user, "email"):
        return None
    return Membership.objects.select_related("unit", "staff").filter(user_id=user.pk).first()
