"""The event layouts (ACLED-style, UCDP-GED-style, HXL) on the seed article, against hand-computed
values, and the HXL file through the libhxl validator."""

import csv
import io

import hxl

from conflictdb.csvio.exporting import export_for, write_csv
from sources.models import Source

CLASHES = "seed:000_edd5ec991ef37588:clashes"
MISSILES = "seed:000_edd5ec991ef37588:missile-strikes-idlib"
AIR_STRIKES = "seed:000_edd5ec991ef37588:air-strikes"


def layout(name, user, skip=0):
    out = io.StringIO()
    write_csv(export_for(name, user), out, bom=False)
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    header, rows = lines[0], lines[1 + skip:]
    return [dict(zip(header, row, strict=True)) for row in rows], lines


def by(rows, column, value):
    return next(row for row in rows if row[column] == value)


def test_acled_layout(seeded, researcher):
    rows, _ = layout("acled", researcher)
    assert len(rows) == 8
    clashes = by(rows, "event_id_cnty", CLASHES)
    assert (clashes["event_date"], clashes["year"], clashes["time_precision"]) == ("2024-11-27", "2024", "1")
    assert (clashes["disorder_type"], clashes["event_type"], clashes["sub_event_type"]) == (
        "Political violence", "Battles", "Armed clash")
    assert clashes["actor2"] == "Syrian government forces"
    assert (clashes["country"], clashes["admin1"]) == ("Syria", "Aleppo")
    # ACLED keeps the lowest figure: opposition 10 + government "more than 35" (36); the officers
    # are part of the 36, "dozens" and "the families of six others" have no number.
    assert clashes["fatalities"] == "46"
    missiles = by(rows, "event_id_cnty", MISSILES)
    assert (missiles["civilian_targeting"], missiles["fatalities"]) == ("Civilian targeting", "1")
    air = by(rows, "event_id_cnty", AIR_STRIKES)
    assert air["fatalities"] == ""  # unknown, never 0
    assert (air["latitude"], air["longitude"], air["geo_precision"]) == ("36.28247", "36.85216", "1")


def test_ucdp_ged_layout(seeded, researcher):
    rows, _ = layout("ucdp-ged", researcher)
    clashes = by(rows, "relid", CLASHES)
    assert (clashes["deaths_a"], clashes["deaths_b"], clashes["deaths_civilians"], clashes["deaths_unknown"]) == (
        "10", "36", "", "")
    assert (clashes["low"], clashes["best"], clashes["high"]) == ("46", "46", "")  # "more than 35": no high
    assert clashes["type_of_violence"] == "1"  # government forces on one side: state-based
    missiles = by(rows, "relid", MISSILES)
    assert (missiles["deaths_civilians"], missiles["low"], missiles["best"], missiles["high"]) == ("1", "1", "1", "1")
    assert missiles["type_of_violence"] == "3"  # civilians targeted: one-sided
    assert (missiles["adm_1"], missiles["adm_2"], missiles["date_prec"]) == ("Idleb", "Harim", "1")


# What the HXL export promises, as a libhxl schema: ids present and unique, dates, numbers, coordinates.
SCHEMA = [
    ["tag", "required", "datatype", "min", "max", "unique"],
    ["#valid_tag", "#valid_required+min", "#valid_datatype", "#valid_value+min", "#valid_value+max",
     "#valid_unique"],
    ["#event+id", "1", "", "", "", "true"],
    ["#date+start", "1", "date", "", "", ""],
    ["#date+end", "1", "date", "", "", ""],
    ["#geo+lat", "", "number", "-90", "90", ""],
    ["#geo+lon", "", "number", "-180", "180", ""],
    ["#affected", "", "number", "0", "", ""],
    ["#adm1+code", "", "", "", "", ""],
]


def test_hxl_has_a_hashtag_row_and_validates_with_libhxl(seeded, researcher):
    rows, lines = layout("hxl", researcher, skip=1)
    assert lines[1][:3] == ["#event+id", "#date+start", "#date+end"]
    clashes = by(rows, "event_id", CLASHES)
    assert (clashes["killed"], clashes["captured"], clashes["admin1_pcode"]) == ("46", "5", "SY02")
    missiles = by(rows, "event_id", MISSILES)
    assert (missiles["killed"], missiles["injured"]) == ("1", "4")  # the woman is one of the four
    assert hxl.validate(hxl.data(lines))["is_valid"]  # libhxl's built-in schema
    report = hxl.validate(hxl.data(lines), hxl.data(SCHEMA))
    assert report["is_valid"], report["issues"]
    dataset = hxl.data(lines)
    assert "#affected+killed" in [str(column) for column in dataset.columns]
    assert sorted(dataset.get_value_set("#adm1+code")) == ["SY02", "SY07"]


def test_hxl_validator_would_refuse_a_broken_file():
    """The check above is not vacuous: libhxl rejects a number column holding text."""
    broken = [["event_id", "date_start", "date_end", "killed"], ["#event+id", "#date+start", "#date+end",
                                                                 "#affected+killed"],
              ["e1", "2024-11-27", "2024-11-27", "many"], ["e1", "yesterday", "2024-11-27", "3"]]
    issues = hxl.validate(hxl.data(broken), hxl.data(SCHEMA))["issues"]
    assert {issue["tag_pattern"] for issue in issues} >= {"#affected", "#event+id", "#date+start"}


def test_layouts_name_protected_sources_only_for_those_allowed(seeded, researcher, data_manager):
    protected = Source.objects.filter(protected=True, claims__event__external_id=CLASHES).first()
    for_researcher = by(layout("ucdp-ged", researcher)[0], "relid", CLASHES)["source_original"]
    for_manager = by(layout("ucdp-ged", data_manager)[0], "relid", CLASHES)["source_original"]
    assert protected.name not in for_researcher and protected.public_label in for_researcher
    assert protected.name in for_manager
