"""Template tags available in every template (registered as a builtin in settings)."""

from django import template
from django.forms import BoundField
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def field_widget(field: BoundField) -> SafeString:
    """The field's input, described by its help text and its errors, so a screen reader
    announces the error with the field, and marked aria-invalid when it has errors."""
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_helptext")
    if field.errors:
        described_by.append(f"{field.auto_id}_errors")
    attrs = {}
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)
