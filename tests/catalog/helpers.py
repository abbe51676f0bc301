"""Files for import tests, written the way people make them: Chinese headers, XLSX or CSV."""

import csv
import io

from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context
from openpyxl import Workbook, load_workbook

from tenants.accounts.actors import Actor
from tenants.catalog.imports.services import import_job_create, import_job_run

ITEM_HEADER = [
    "事项编码*",
    "事项名称*",
    "事项类型*",
    "设定依据",
    "实施主体编码",
    "受理单位",
    "办理渠道",
    "受理条件",
    "申请材料",
    "办理流程",
    "承诺时限（工作日）",
    "办件类型*",
    "收费依据",
    "收费标准",
    "评价渠道",
]


def item_row(code: str, name: str = "食品经营许可证核发", **changes) -> list:
    row = {
        "code": code,
        "name": name,
        "type": "行政许可",
        "basis": "《中华人民共和国食品安全法》第三十五条",
        "unit": "",
        "accepting": "市场监督管理局",
        "channels": "窗口办理；网上办理",
        "conditions": "具有与经营的食品品种、数量相适应的场所",
        "materials": "食品经营许可申请书\n营业执照；法定代表人身份证明",
        "steps": "申请；受理；审查；决定；送达",
        "days": 10,
        "promise": "承诺件",
        "fee_basis": "",
        "fee_standard": "不收费",
        "evaluation": "窗口评价器；扫码评价",
    }
    row.update(changes)
    return list(row.values())


def xlsx_file(header: list, rows: list[list], *, keys: list | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    if keys:
        sheet.append(keys)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(header: list, rows: list[list], *, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def read_xlsx(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def read_csv(data: bytes, encoding: str = "utf-8-sig") -> list[list]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def run_import(schema: str, data: bytes, *, kind: str = "items", filename: str = "items.xlsx", **options):
    """Create and run a job synchronously (no Celery), as the command line does."""
    with schema_context(schema):
        job = import_job_create(
            actor=Actor.system("tests"), kind=kind, filename=filename, data=data, enqueue=False, **options
        )
        return import_job_run(job_id=job.pk)


def refused(schema: str, data: bytes, filename: str = "items.xlsx", kind: str = "items") -> list[str]:
    with schema_context(schema):
        try:
            import_job_create(
                actor=Actor.system("tests"), kind=kind, filename=filename, data=data, enqueue=False
            )
        except ValidationError as exc:
            return exc.messages
    raise AssertionError("the file was accepted")
