"""What the apps register for the base (conflictdb.registry) is what the base used to hard-code."""

from conflictdb import grading, protection
from conflictdb.registry import registry
from events.models import Casualty, Claim
from sources.models import Document, Excerpt, PersonalSpan, Source, SourceAlias


def test_the_domain_apps_are_registered_in_order():
    assert registry["domain_apps"] == ["sources", "events"]


def test_protected_fields_are_the_models_declarations():
    assert registry["protected_fields"] == {
        Source: {"name": protection.SOURCE_NAME, "description": protection.SOURCE_DETAIL,
                 "url": protection.SOURCE_DETAIL},
        SourceAlias: {"name": protection.ALIAS_DETAIL, "normalised": protection.ALIAS_DETAIL},
        Document: {"url": protection.PUBLISHER_DETAIL, "archive_url": protection.PUBLISHER_DETAIL,
                   "author": protection.PUBLISHER_DETAIL, "text": protection.personal_text("masked_text")},
        Excerpt: {"text": protection.personal_text("masked_text"), "prefix": protection.personal_text("masked_prefix"),
                  "suffix": protection.personal_text("masked_suffix")},
        Claim: {"statement": protection.personal_text("masked_statement")},
        PersonalSpan: {"text": protection.PERSONAL},
        Casualty: dict.fromkeys(Casualty.PERSONAL_FIELDS, protection.PERSONAL),
    }
    assert registry["protected_rows"] == {SourceAlias: "source__protected"}


def test_graded_fields_are_the_models_declarations():
    assert registry["graded_fields"] == {
        Source: grading.Grade("reliability", tuple("ABCDEF"), "reliability"),
        Claim: grading.Grade("credibility", tuple(range(1, 7)), "credibility"),
    }
