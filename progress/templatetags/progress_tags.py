from django import template
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Membership
from progress.models import Confidence

register = template.Library()


@register.filter
def confidence_label(level: int | None) -> str:
    """The PRODUCT.md name of a confidence level; "Not rated" for none."""
    if level is None:
        return "Not rated"
    return Confidence(level).label


@register.filter
def taught(teams) -> list:
    """Of the teams from Team.objects.for_member (the navigation's), those the user
    instructs."""
    return [team for team in teams if team.my_role == Membership.Role.INSTRUCTOR]


@register.filter
def percent_of(part: int, whole: int) -> int:
    """part ÷ whole as a whole percentage, rounded down (so 100% means all)."""
    return part * 100 // whole if whole else 0


@register.simple_tag
def matrix_cells(row) -> SafeString:
    """The <td> cells of one team-dashboard row.

    Built here rather than in the template: at 200 learners × 13 topics the template
    loop spent half the page's time localising numbers (bench/results/ has the before
    and after). Every value is an int computed by progress.teams, so nothing needs
    escaping; int() makes sure of it.
    """
    parts = []
    for cell in row.cells:
        fresh = (
            f'<span class="cell-fresh"> · {int(cell.fresh)} fresh</span>' if cell.covered else ""
        )
        parts.append(
            f'<td class="band-{int(cell.band)}">{int(cell.covered)} of {int(cell.total)}'
            f"{fresh}</td>"
        )
    return mark_safe("".join(parts))  # noqa: S308 — integers only, see above
