from django import template

from progress import study
from progress.models import Confidence
from questions.models import percent

register = template.Library()


@register.filter
def confidence_label(level: int | None) -> str:
    """The PRODUCT.md name of a confidence level; "Not rated" for none."""
    if level is None:
        return "Not rated"
    return Confidence(level).label


@register.filter
def percent_of(part: int, whole: int) -> int:
    """part ÷ whole as a whole percentage, rounded down (so 100% means all)."""
    return percent(part, whole)


@register.simple_tag
def session_max() -> int:
    """The most questions one study session holds (progress.study)."""
    return study.SESSION_MAX_QUESTIONS
