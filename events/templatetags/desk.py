"""Template helpers for the editor's desk and the claim page."""

from django import template

from events.desk.views import quotes_in_context as _quotes_in_context

register = template.Library()


@register.simple_tag
def quotes_in_context(claim):
    """The claim's quotes with the document text around them (for the claim change page)."""
    if claim is None or claim.pk is None:
        return []
    return _quotes_in_context(claim)
