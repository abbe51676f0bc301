"""factory_boy factories for tenant-schema objects. Use them inside schema_context(<tenant>)."""

import factory

from tenants.catalog.models import GuideVersion, ItemStatus, PromiseType, ServiceItem
from tenants.organisation.models import Platform, Staff, Unit, UnitKind


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"U{n:04d}")
    name = factory.Sequence(lambda n: f"第{n}政务服务单位")
    kind = UnitKind.DEPARTMENT
    region_code = "130100"

    @factory.post_generation
    def set_path(unit, create, extracted, **kwargs):
        unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
        unit.save(update_fields=["path"])


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    staff_no = factory.Sequence(lambda n: f"S{n:05d}")
    name = factory.Sequence(lambda n: f"工作人员{n}")
    unit = factory.SubFactory(UnitFactory)


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = "政务服务网"
    kind = "web"


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceItem
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"11440000MB{n:06d}")
    name = factory.Sequence(lambda n: f"食品经营许可证核发{n}")
    item_type = "licensing"
    status = ItemStatus.PUBLISHED

    @factory.post_generation
    def guide(item, create, extracted, **kwargs):
        guide = GuideVersion.objects.create(
            item=item,
            version=1,
            time_limit_days=kwargs.get("days", 5),
            promise_type=kwargs.get("promise", PromiseType.PROMISED),
            materials=["营业执照", "经营场所证明"],
            published_at=item.created_at,
        )
        item.current_guide = guide
        item.save(update_fields=["current_guide"])
