"""The catalog_import command: the same import, in this process, with a progress line."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import schema_context

from tenants.catalog.models import ServiceItem
from tests.catalog.helpers import ITEM_HEADER, csv_file, item_row, read_xlsx, xlsx_file


def test_command_imports_and_prints_progress(alpha, tmp_path, capsys):
    path = tmp_path / "catalogue.csv"
    path.write_bytes(csv_file(ITEM_HEADER, [item_row(f"CLI-{n:04d}") for n in range(2500)]))
    call_command("catalog_import", "alpha", str(path))
    out = capsys.readouterr().out
    assert "checking 2000/2500 (80%)" in out and "checking 2500/2500 (100%)" in out
    assert "importing 2500/2500 (100%)" in out and "imported 2500 rows" in out
    with schema_context(alpha.schema):
        assert ServiceItem.objects.filter(code__startswith="CLI-").count() == 2500


def test_command_refuses_all_when_a_row_is_bad_and_writes_the_error_file(alpha, tmp_path, capsys):
    path = tmp_path / "catalogue.xlsx"
    path.write_bytes(xlsx_file(ITEM_HEADER, [item_row("CLI-1"), item_row("CLI-2", type="??")]))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("catalog_import", "alpha", str(path))
    assert "row 3: 事项类型" in capsys.readouterr().out
    errors = read_xlsx((tmp_path / "catalogue-错误.xlsx").read_bytes())
    assert errors[2][-1].startswith("事项类型：")
    with schema_context(alpha.schema):
        assert not ServiceItem.objects.exists()


def test_command_valid_only_imports_the_good_rows(alpha, tmp_path, capsys):
    path = tmp_path / "catalogue.xlsx"
    path.write_bytes(xlsx_file(ITEM_HEADER, [item_row("CLI-1"), item_row("CLI-2", type="??")]))
    call_command("catalog_import", "alpha", str(path), "--valid-only")
    out = capsys.readouterr().out
    assert "1 rows with errors" in out and "imported 1 rows" in out
    with schema_context(alpha.schema):
        assert list(ServiceItem.objects.values_list("code", flat=True)) == ["CLI-1"]


def test_command_names_an_unknown_tenant(tmp_path, alpha):
    with pytest.raises(CommandError, match="nobody"):
        call_command("catalog_import", "nobody", str(tmp_path / "x.csv"))
