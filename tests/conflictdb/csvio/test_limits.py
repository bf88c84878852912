"""Safe limits, clear errors: file size, cell size, rows and XLSX expansion (ratio and total, read
from the zip directory before anything expands), binary files, echoes cut to a readable length,
errors across fields naming their columns, and dates later than today."""

import dataclasses
import struct
import tracemalloc
import zlib

import openpyxl
import pytest

from conflictdb.csvio import reading
from conflictdb.csvio.importing import ECHO_LIMIT, import_file
from conflictdb.models import ImportBatch
from conflictdb.registry import registry
from events.models import Actor, ActorMembership, CasualtyFigure, Claim


def _refused(outcome, text):
    assert outcome.refused and any(text in error.reason for error in outcome.errors), [str(e) for e in outcome.errors]
    batch = ImportBatch.objects.get(pk=outcome.batch.pk)
    assert batch.status == ImportBatch.Status.REFUSED and any(text in e["reason"] for e in batch.error_report)


def _actors(path, rows, cell="x"):
    path.write_text("name,kind,description\n" + "".join(f"Actor {i},militia,{cell}\n" for i in range(rows)),
                    encoding="utf-8")
    return path


def test_a_file_above_the_size_limit_is_refused(db, data_manager, tmp_path, settings):
    settings.IMPORT_MAX_FILE_MB = 1
    outcome = import_file(_actors(tmp_path / "big.csv", 60_000), "actor", user=data_manager)
    _refused(outcome, "at most 1 MB may be imported at once (setting IMPORT_MAX_FILE_MB)")
    assert not Actor.objects.exists()


def test_a_cell_above_the_cell_limit_is_refused_with_its_row(db, data_manager, tmp_path, settings):
    settings.IMPORT_MAX_CELL_KB = 1
    path = tmp_path / "actors.csv"
    path.write_text("name,kind,description\nSmall,militia,ok\nLarge,militia," + "y" * 5000 + "\n", encoding="utf-8")
    _refused(import_file(path, "actor", user=data_manager), "Row 3: a cell is longer than 1,024 characters")
    assert not Actor.objects.exists()


def test_a_workbook_cell_above_the_cell_limit_is_refused(db, data_manager, tmp_path, settings):
    settings.IMPORT_MAX_CELL_KB = 1
    book = openpyxl.Workbook()
    book.active.append(["name", "kind", "description"])
    book.active.append(["Large", "militia", "z" * 3000])
    book.save(tmp_path / "actors.xlsx")
    _refused(import_file(tmp_path / "actors.xlsx", "actor", user=data_manager), "a cell is longer than")


def test_more_rows_than_the_row_limit_are_refused_and_nothing_is_written(db, data_manager, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 3
    _refused(import_file(_actors(tmp_path / "actors.csv", 5), "actor", user=data_manager),
             "more than 3 data rows")
    assert not Actor.objects.exists()


def _zip(path, members):
    """A zip written by hand, so that a member's deflate stream can be built from repeated blocks
    (a real 1 GiB expansion, made in milliseconds)."""
    local, central, offset = b"", b"", 0
    for name, compressed, crc, size in members:
        encoded = name.encode()
        header = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0x21, crc, len(compressed), size,
                             len(encoded), 0) + encoded
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, 8, 0, 0x21, crc, len(compressed),
                               size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded
        local += header + compressed
        offset += len(header) + len(compressed)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), offset, 0)
    path.write_bytes(local + central + end)


def _deflated(data: bytes):
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def _bomb(path, gib=1):
    """A valid XLSX whose sheet holds one cell of `gib` GiB of 'A', about 1 MB on disk."""
    plain = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+'
        'xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
        'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    members = [(name, *_deflated(text.encode())) for name, text in plain.items()]
    prefix = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row><row r="2"><c r="A2" '
              b't="inlineStr"><is><t>')
    suffix = b"</t></is></c></row></sheetData></worksheet>"
    block = b"A" * (1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
    body = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)  # the same bytes for every block
    tail = packer.compress(suffix) + packer.flush()
    crc = zlib.crc32(prefix)
    for _ in range(gib * 1024):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(suffix, crc)
    members.append(("xl/worksheets/sheet1.xml", head + body * (gib * 1024) + tail, crc,
                    len(prefix) + gib * (1 << 30) + len(suffix)))
    _zip(path, members)


def test_a_workbook_bomb_is_refused_from_its_zip_directory_without_expanding_it(db, data_manager, tmp_path):
    _bomb(tmp_path / "bomb.xlsx")
    assert (tmp_path / "bomb.xlsx").stat().st_size < 2_000_000
    tracemalloc.start()
    outcome = import_file(tmp_path / "bomb.xlsx", "actor", user=data_manager)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    _refused(outcome, "would expand")
    assert peak < 50_000_000  # bytes: the bomb was never expanded


def test_the_total_expansion_limit_applies_below_the_ratio(db, tmp_path, settings):
    settings.IMPORT_MAX_XLSX_UNCOMPRESSED_MB = 1
    book = openpyxl.Workbook()
    for number in range(20_000):
        book.active.append([f"row {number}", number * 7919 % 100_003, f"{number:x}"])
    book.save(tmp_path / "rows.xlsx")
    with pytest.raises(reading.FileProblem, match="IMPORT_MAX_XLSX_UNCOMPRESSED_MB"):
        reading.open_table(tmp_path / "rows.xlsx")


@pytest.mark.parametrize(("content", "looks_like"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "a PNG image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "old Excel .xls"),
    (bytes(range(256)) * 40, ""),
    (b"PK\x03\x04 not really a zip", "zip"),
])
def test_a_binary_file_is_not_a_text_file_or_workbook(db, data_manager, tmp_path, content, looks_like):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    outcome = import_file(path, "actor", user=data_manager)
    _refused(outcome, "not a text file or workbook")
    assert looks_like in outcome.errors[0].reason


def test_a_long_header_or_cell_is_echoed_cut_to_a_readable_length(db, data_manager, tmp_path):
    path = tmp_path / "actors.csv"
    path.write_text("name,kind," + "h" * 5000 + "\nOne,militia,x\nTwo," + "k" * 5000 + ",x\n", encoding="utf-8")
    outcome = import_file(path, "actor", user=data_manager)
    assert outcome.refused
    stored = ImportBatch.objects.get(pk=outcome.batch.pk).error_report
    for error in stored:
        assert len(error["column"]) <= ECHO_LIMIT and len(error["value"]) <= ECHO_LIMIT
    assert any(error["column"].startswith("hhh") and error["column"].endswith("…") for error in stored)
    path.write_text("name,kind\nOne,militia\nTwo," + "k" * 5000 + "\n", encoding="utf-8")
    outcome = import_file(path, "actor", user=data_manager)
    [error] = outcome.errors
    assert error.column == "kind" and len(error.value) <= ECHO_LIMIT and len(str(error)) < 400


@pytest.fixture
def claim(db):
    from tests.factories import make_world

    world = make_world()
    Claim.objects.filter(pk=world["claim"].pk).update(external_id="CLM-LIM")
    return world


def test_low_above_high_names_both_columns(claim, data_manager, tmp_path):
    path = tmp_path / "figures.csv"
    path.write_text("claim,category,outcome,low,high,qualifier\nCLM-LIM,civilian,killed,12,5,range\n",
                    encoding="utf-8")
    before = CasualtyFigure.objects.count()
    outcome = import_file(path, "casualtyfigure", user=data_manager)
    assert outcome.refused and CasualtyFigure.objects.count() == before
    [error] = outcome.errors
    assert "low" in error.column and "high" in error.column, str(error)


def test_start_after_end_names_both_columns(claim, data_manager, tmp_path):
    Actor.objects.create(name="Member Front", kind="militia")
    Actor.objects.create(name="Umbrella Room", kind="coalition")
    path = tmp_path / "memberships.csv"
    path.write_text("member,coalition,start,end\nMember Front,Umbrella Room,2024-05-01,2024-01-01\n",
                    encoding="utf-8")
    outcome = import_file(path, "actormembership", user=data_manager)
    assert outcome.refused and not ActorMembership.objects.filter(member__name="Member Front").exists()
    [error] = outcome.errors
    assert error.column == "start, end" and error.value == "start=2024-05-01, end=2024-01-01", str(error)


def test_a_date_later_than_today_is_refused_unless_the_column_is_planned(claim, data_manager, tmp_path, monkeypatch):
    Actor.objects.create(name="Member Front", kind="militia")
    Actor.objects.create(name="Umbrella Room", kind="coalition")
    path = tmp_path / "memberships.csv"
    path.write_text("member,coalition,start,end\nMember Front,Umbrella Room,2024-05-01,2999-01-01\n",
                    encoding="utf-8")
    outcome = import_file(path, "actormembership", user=data_manager)
    [error] = outcome.errors
    assert error.column == "end" and "later than today" in error.reason and "planned" in error.reason
    spec = registry["csv_models"]["actormembership"]
    planned = dataclasses.replace(spec, columns=tuple(
        dataclasses.replace(column, planned=True) if column.name == "end" else column for column in spec.columns))
    monkeypatch.setitem(registry["csv_models"], "actormembership", planned)
    outcome = import_file(path, "actormembership", user=data_manager)
    assert outcome.errors == [] and outcome.counts["created"] == 1
