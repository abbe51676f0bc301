"""The catalogue import: one row per service item with its guide (办事指南).

Re-importing a code that exists (decided here, documented in the template and on the import page):
- the item's own fields (name, type, legal basis, responsible unit) are updated in place;
- its guide: if the file says the same as the newest version, nothing happens (re-importing a file is
  harmless); if the newest version is still a draft, that draft is updated; if it is published, a new draft
  version is made and the published one stays live — exactly like editing on screen (guide_edit);
- with “publish” ticked, the newest version of every imported item is published at once.
Empty cells mean empty: a row describes the whole item.
"""

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.accounts.actors import Actor
from tenants.accounts.roles import Perm
from tenants.catalog.imports.columns import Column, choice_column
from tenants.catalog.imports.spec import ImportSpec, Row
from tenants.catalog.models import GuideVersion, ImportKind, ItemStatus, ItemType, PromiseType, ServiceItem
from tenants.catalog.services import GUIDE_FIELDS, guide_corrections_done, guide_problems
from tenants.organisation.models import Unit

ITEM_TYPE_NAMES = {
    ItemType.LICENSING: ("行政许可", "许可"),
    ItemType.PAYMENT: ("行政给付", "给付"),
    ItemType.CONFIRMATION: ("行政确认", "确认"),
    ItemType.LEVY: ("行政征收", "征收"),
    ItemType.ADJUDICATION: ("行政裁决", "裁决"),
    ItemType.REWARD: ("行政奖励", "奖励"),
    ItemType.OTHER_POWER: ("其他行政权力", "其他"),
    ItemType.PUBLIC_SERVICE: ("公共服务",),
}
# National code of the promise type: 1 即办件, 2 承诺件.
PROMISE_NAMES = {
    PromiseType.IMMEDIATE: ("即办件", "即办", "1"),
    PromiseType.PROMISED: ("承诺件", "承诺", "2"),
}
ITEM_FIELDS = ("name", "item_type", "legal_basis", "responsible_unit_id")


class ItemImport(ImportSpec):
    kind = ImportKind.ITEMS
    title = gettext_lazy("Service items")
    sheet_title = "政务服务事项"
    permission = Perm.MANAGE_CATALOG
    export_permission = Perm.READ_CATALOG
    columns = (
        Column(
            "code",
            "事项编码",
            gettext_lazy("Unique code, e.g. from the national basic catalogue"),
            required=True,
            max_length=64,
            example="11440000MB2C90001A",
        ),
        Column(
            "name",
            "事项名称",
            gettext_lazy("Unified name of the item"),
            required=True,
            max_length=300,
            example="食品经营许可证核发",
        ),
        choice_column(
            "item_type",
            "事项类型",
            ITEM_TYPE_NAMES,
            help=gettext_lazy("Type of the item"),
            required=True,
            example="行政许可",
        ),
        Column(
            "legal_basis",
            "设定依据",
            gettext_lazy("Legal basis"),
            example="《中华人民共和国食品安全法》第三十五条",
        ),
        Column(
            "responsible_unit",
            "实施主体编码",
            gettext_lazy("Code of the responsible unit (see Organisation)"),
            max_length=64,
            example="D01",
        ),
        Column(
            "accepting_unit",
            "受理单位",
            gettext_lazy("Accepting unit"),
            max_length=200,
            example="市场监督管理局",
        ),
        Column(
            "channels",
            "办理渠道",
            gettext_lazy("Service channels"),
            kind="list",
            max_length=200,
            example="窗口办理；网上办理",
        ),
        Column(
            "conditions",
            "受理条件",
            gettext_lazy("Conditions"),
            example="具有与经营的食品品种、数量相适应的场所",
        ),
        Column(
            "materials",
            "申请材料",
            gettext_lazy("Required materials"),
            kind="list",
            max_length=500,
            example="食品经营许可申请书；营业执照；法定代表人身份证明",
        ),
        Column(
            "steps",
            "办理流程",
            gettext_lazy("Procedure steps"),
            kind="list",
            max_length=500,
            example="申请；受理；审查；决定；送达",
        ),
        Column(
            "time_limit_days",
            "承诺时限（工作日）",
            gettext_lazy("Time limit in working days, counted from the day after receipt; 0 for 即办件"),
            kind="int",
            min_value=0,
            max_value=999,
            default=0,
            example="10",
        ),
        choice_column(
            "promise_type",
            "办件类型",
            PROMISE_NAMES,
            help=gettext_lazy("即办件 or 承诺件"),
            required=True,
            example="承诺件",
        ),
        Column("fee_basis", "收费依据", gettext_lazy("Fee basis"), example="不收费"),
        Column("fee_standard", "收费标准", gettext_lazy("Fee standard"), example="不收费"),
        Column(
            "evaluation_channels",
            "评价渠道",
            gettext_lazy("Evaluation channels"),
            kind="list",
            max_length=200,
            example="窗口评价器；扫码评价；网上评价",
        ),
    )
    notes = (
        gettext_lazy("A new code creates a draft item with guide version 1."),
        gettext_lazy(
            "A code that exists updates the item's name, type, legal basis and responsible unit. Its guide: "
            "if nothing changed, nothing happens; if the newest version is a draft, the draft is updated; if "
            "it is published, a new draft version is made and the published one stays in force until you "
            "publish."
        ),
        gettext_lazy("Tick “publish” to publish the newest guide of every imported item at once."),
        gettext_lazy("Empty cells mean empty: each row describes the whole item."),
    )

    # --- checking --------------------------------------------------------------------------------------------
    def new_state(self, job) -> dict:
        return {
            "job": job,
            "seen": {},
            "publish": job.publish,
            "counts": dict.fromkeys(
                ("created", "updated", "new_versions", "drafts_updated", "unchanged", "published"), 0
            ),
        }

    def check(self, rows: list[Row], state: dict) -> None:
        unit_codes = {r.values.get("responsible_unit") for r in rows} - {None, ""}
        known_units = set(Unit.objects.filter(code__in=unit_codes).values_list("code", flat=True))
        for row in rows:
            code = row.values.get("code")
            if code:
                first = state["seen"].setdefault(code, row.number)
                if first != row.number:
                    row.fail(self.column("code"), _("also on row %(n)s") % {"n": first})
            unit = row.values.get("responsible_unit")
            if unit and unit not in known_units:
                row.fail(
                    self.column("responsible_unit"), _("no unit has the code “%(code)s”") % {"code": unit}
                )
            if not row.errors:
                for field, message in guide_problems(row.values).items():
                    row.fail(self.column(field), message)

    # --- writing ---------------------------------------------------------------------------------------------
    def write(self, rows: list[Row], state: dict) -> None:
        counts, now = state["counts"], timezone.now()
        units = dict(
            Unit.objects.filter(code__in={r.values["responsible_unit"] for r in rows} - {""}).values_list(
                "code", "pk"
            )
        )
        existing = {
            i.code: i
            for i in ServiceItem.objects.select_for_update().filter(code__in=[r.values["code"] for r in rows])
        }
        latest = {
            g.item_id: g
            for g in GuideVersion.objects.filter(item_id__in=[i.pk for i in existing.values()])
            .order_by("item_id", "-version")
            .distinct("item_id")
        }
        new_items, new_guides, changed_items, changed_guides = [], [], [], []
        newest: dict[str, GuideVersion] = {}  # code → the newest guide after this chunk
        for row in rows:
            v = row.values
            item_values = {
                "name": v["name"],
                "item_type": v["item_type"],
                "legal_basis": v["legal_basis"],
                "responsible_unit_id": units.get(v["responsible_unit"]) if v["responsible_unit"] else None,
            }
            guide_values = {f: v[f] for f in GUIDE_FIELDS}
            item = existing.get(v["code"])
            if item is None:
                item = ServiceItem(code=v["code"], status=ItemStatus.DRAFT, **item_values)
                new_items.append(item)
                guide = GuideVersion(item=item, version=1, **guide_values)
                new_guides.append(guide)
                newest[item.code] = guide
                counts["created"] += 1
                continue
            if any(getattr(item, f) != item_values[f] for f in ITEM_FIELDS):
                for f in ITEM_FIELDS:
                    setattr(item, f, item_values[f])
                item.updated_at = now
                changed_items.append(item)
                counts["updated"] += 1
            guide = latest[item.pk]
            if all(getattr(guide, f) == guide_values[f] for f in GUIDE_FIELDS):
                counts["unchanged"] += 1
            elif guide.published_at is None:
                for f in GUIDE_FIELDS:
                    setattr(guide, f, guide_values[f])
                changed_guides.append(guide)
                counts["drafts_updated"] += 1
            else:
                guide = GuideVersion(item=item, version=guide.version + 1, **guide_values)
                new_guides.append(guide)
                counts["new_versions"] += 1
            newest[item.code] = guide
        ServiceItem.objects.bulk_create(new_items)
        for guide in new_guides:
            guide.item_id = guide.item.pk  # the new items have their ids now
        GuideVersion.objects.bulk_create(new_guides)
        if changed_items:
            ServiceItem.objects.bulk_update(changed_items, [*ITEM_FIELDS, "updated_at"], batch_size=500)
        if changed_guides:
            GuideVersion.objects.bulk_update(changed_guides, list(GUIDE_FIELDS), batch_size=500)
        if state["publish"]:
            self._publish(newest, existing, new_items, now, counts)

    def _publish(self, newest, existing, new_items, now, counts) -> None:
        drafts = [g.pk for g in newest.values() if g.published_at is None]
        GuideVersion.objects.filter(pk__in=drafts).update(published_at=now)
        if drafts:  # newly published versions close the items' guide-correction tasks
            guide_corrections_done(
                actor=Actor.system("catalog import"), guides=list(GuideVersion.objects.filter(pk__in=drafts))
            )
        items = [*existing.values(), *new_items]
        moved = []
        for item in items:
            guide = newest[item.code]
            if item.current_guide_id != guide.pk or item.status != ItemStatus.PUBLISHED:
                item.current_guide_id, item.status, item.updated_at = guide.pk, ItemStatus.PUBLISHED, now
                moved.append(item)
        if moved:
            ServiceItem.objects.bulk_update(moved, ["current_guide", "status", "updated_at"], batch_size=500)
        counts["published"] += len(moved)

    # --- exporting -------------------------------------------------------------------------------------------
    def export_values(self) -> Iterator[dict]:
        """Every item with its NEWEST guide (draft or published), so that exporting and importing back
        changes nothing."""
        last = ""
        while True:
            items = list(
                ServiceItem.objects.filter(code__gt=last)
                .select_related("responsible_unit")
                .order_by("code")[:2000]
            )
            if not items:
                return
            guides = {
                g.item_id: g
                for g in GuideVersion.objects.filter(item_id__in=[i.pk for i in items])
                .order_by("item_id", "-version")
                .distinct("item_id")
            }
            for item in items:
                guide = guides.get(item.pk)
                yield {
                    "code": item.code,
                    "name": item.name,
                    "item_type": item.item_type,
                    "legal_basis": item.legal_basis,
                    "responsible_unit": item.responsible_unit.code if item.responsible_unit else "",
                    **({f: getattr(guide, f) for f in GUIDE_FIELDS} if guide else {}),
                }
            last = items[-1].code
