"""WCAG relative luminance and contrast, and the refusal of a theme whose text colours fall under AA."""

import pytest
from django.core.exceptions import ValidationError

from tests.themes.conftest import ACTOR, tenant_of
from themes.contrast import contrast_ratio, ratio_label, relative_luminance
from themes.models import ThemeDraft
from themes.services import ThemeOwner, theme_draft_save, theme_publish


def test_luminance_and_ratio_follow_the_wcag_formula():
    assert relative_luminance("#000000") == 0 and relative_luminance("#ffffff") == pytest.approx(1)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#ffffff", "#000000") == contrast_ratio("#000000", "#ffffff")
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.478, abs=0.001)  # the classic near miss
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(
        4.542, abs=0.001
    )  # the lightest passing grey
    assert contrast_ratio("#1d4ed8", "#ffffff") == pytest.approx(6.70, abs=0.01)


def test_the_label_rounds_down_so_a_near_miss_never_reads_as_a_pass():
    assert ratio_label(4.478) == "4.4" and ratio_label(2.99) == "2.9" and ratio_label(21.0) == "21.0"


def test_text_that_blends_into_the_background_is_refused_with_the_measured_ratio(alpha):
    owner = ThemeOwner.for_tenant(tenant_of(alpha))
    with pytest.raises(ValidationError) as refused:
        theme_draft_save(actor=ACTOR, owner=owner, values={"text_color": "#777777"})
    assert refused.value.message_dict == {
        "text_color": ["Text on the background: contrast 4.4:1, at least 4.5:1 is needed."]
    }
    assert not ThemeDraft.objects.filter(theme__tenant=alpha.tenant).exists()


def test_the_pair_is_checked_with_the_inherited_colour(alpha):
    # the platform's background is dark; a tenant picking a dark text colour is refused on its own field
    theme_draft_save(
        actor=ACTOR,
        owner=ThemeOwner.platform(),
        values={"background_color": "#111827", "text_color": "#f9fafb", "primary_color": "#93c5fd",
                "on_primary_color": "#111827"},
    )  # fmt: skip
    theme_publish(actor=ACTOR, owner=ThemeOwner.platform())
    with pytest.raises(ValidationError) as refused:
        theme_draft_save(
            actor=ACTOR, owner=ThemeOwner.for_tenant(tenant_of(alpha)), values={"text_color": "#374151"}
        )
    [message] = refused.value.message_dict["text_color"]
    assert message.startswith("Text on the background: contrast 1.") and message.endswith(
        "at least 4.5:1 is needed."
    )


def test_a_background_change_is_reported_on_the_background_field(alpha):
    with pytest.raises(ValidationError) as refused:
        theme_draft_save(
            actor=ACTOR, owner=ThemeOwner.for_tenant(tenant_of(alpha)), values={"background_color": "#1e3a8a"}
        )
    errors = refused.value.message_dict
    assert set(errors) == {"background_color"}  # text on it, and links on it, both too dark
    assert len(errors["background_color"]) == 2


def test_publishing_checks_again_against_the_levels_above(alpha):
    tenant_owner = ThemeOwner.for_tenant(tenant_of(alpha))
    theme_draft_save(actor=ACTOR, owner=tenant_owner, values={"primary_color": "#2563eb"})  # 5.17:1 on white
    # meanwhile the platform's background turns light blue-grey, where that blue no longer passes
    theme_draft_save(actor=ACTOR, owner=ThemeOwner.platform(), values={"background_color": "#dbeafe",
                                                                        "primary_color": "#1e3a8a"})  # fmt: skip
    theme_publish(actor=ACTOR, owner=ThemeOwner.platform())
    with pytest.raises(ValidationError) as refused:
        theme_publish(actor=ACTOR, owner=tenant_owner)
    assert "Links (the primary colour on the background): contrast 4.2:1" in " ".join(refused.value.messages)
    assert ThemeDraft.objects.filter(theme__tenant=alpha.tenant).exists()  # kept, to be fixed
