"""Team pieces for any page: which teams a user teaches, the assignments a learner has
(shown on the learner dashboard), what they may study from their teams (the study page),
and the team dashboard's cells.

Pages of the progress app show them through these tags, so progress needs no import
from teams (docs/architecture.md, "Dependencies")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypedDict

from django import template
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from progress.models import Confidence
from teams.models import Assignment, Membership, Team, TopicSet
from teams.selectors import AssignmentProgress, MemberRow, assignments_with_progress

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _MyRole(TypedDict):
        my_role: str


register = template.Library()


@register.filter
def taught(teams: Iterable[WithAnnotations[Team, _MyRole]]) -> list[Team]:
    """Of the teams from Team.objects.for_member (the navigation's), those the user
    instructs."""
    return [team for team in teams if team.my_role == Membership.Role.INSTRUCTOR]


@register.simple_tag
def learner_assignments(user: User) -> list[AssignmentProgress]:
    """The assignments of the teams the user learns in, with the user's progress."""
    return assignments_with_progress(Team.objects.learned_by(user), user)


@register.simple_tag
def assignments_to_study(user: User) -> QuerySet[Assignment]:
    """Assignments of every team the user belongs to, for the study page's choice."""
    return (
        Assignment.objects.for_member(user)
        .select_related("topic_set", "team")
        .order_by("team__name", "pk")
    )


@register.simple_tag
def topic_sets_to_study(user: User) -> QuerySet[TopicSet]:
    """Topic sets of the teams the user teaches, for the study page's choice."""
    return TopicSet.objects.taught_by(user).select_related("team").order_by("team__name", "name")


@register.simple_tag
def matrix_cells(row: MemberRow) -> SafeString:
    """The <td> cells of one team-dashboard row: "3/4", "2 fresh" and, when some are
    verified, "✓1" to the eye, "3 of 4 covered, 2 fresh, 1 verified" to a screen reader;
    in the levels view, the cell's marks as a level_bar over the covered count.

    Built here rather than in the template: at 200 learners × 13 topics the template
    loop spent half the page's time localising numbers (bench/results/ has the before
    and after). Every value is an int computed by teams.selectors, so nothing needs
    escaping; int() makes sure of it.
    """
    parts = []
    for cell in row.cells:
        covered, total, fresh = int(cell.covered), int(cell.total), int(cell.fresh)
        verified = int(cell.verified)
        outside = "" if cell.in_assignment else " outside"
        full = covered == total and total > 0
        spoken = f"{covered} of {total} covered" + (" (all)" if full else "")
        if cell.levels is not None:
            bar = level_bar(cell.levels, unrated=cell.unrated)
            spoken += f", {verified} verified" if verified else ""
            parts.append(
                f'<td class="level-cell{outside}"><span class="visually-hidden">{spoken}: </span>'
                f'{bar}<span class="cell-count" aria-hidden="true">{covered}/{total}'
                f"{' ✓' if full else ''}</span>{verified_badge(verified)}</td>"
            )
            continue
        shown_fresh = f'<span class="cell-fresh">{fresh} fresh</span>' if covered else ""
        spoken += f", {fresh} fresh" if covered else ""
        spoken += f", {verified} verified" if verified else ""
        parts.append(
            f'<td class="band-{int(cell.band)}{outside}">'
            f'<span class="visually-hidden">{spoken}</span><span aria-hidden="true">'
            f"{covered}/{total}{' ✓' if full else ''}{shown_fresh}"
            f"{verified_badge(verified)}</span></td>"
        )
    return mark_safe("".join(parts))  # noqa: S308 — integers only, see above


def verified_badge(count: int) -> str:
    """The grid's small "✓3" for 3 verified questions, hidden from screen readers (the
    cell's text says "3 verified"); nothing when none is."""
    count = int(count)
    return f'<span class="cell-verified" aria-hidden="true">✓{count}</span>' if count else ""


#: An id no membership has, to find where the id goes in a member page's address.
_NO_ID = 987654321


@register.simple_tag(takes_context=True)
def member_url(context: template.Context, membership: Membership) -> str:
    """The address of a member's page (teams:member_detail). The dashboard names every
    learner up to three times: reversing the route once per page and filling in each id
    saves most of a second at 200 learners on a busy machine."""
    key = f"{__name__}.member_url.{membership.team_id}"
    if key not in context.render_context:
        url = reverse("teams:member_detail", args=[membership.team_id, _NO_ID])
        head, _, tail = url.rpartition(str(_NO_ID))
        context.render_context[key] = (head, tail)
    head, tail = context.render_context[key]
    return f"{head}{int(membership.pk)}{tail}"


#: The confidence levels in order, for level_bar's text.
_LEVEL_NAMES = [label for _value, label in Confidence.choices]


@register.simple_tag
def level_bar(counts: Sequence[int], *, unrated: int = 0) -> SafeString:
    """How many marks sit at each level 1–5 (and, optionally, how many questions are
    not rated) as one bar of coloured segments, with the counts as text.

    The bar is an SVG of rects (no inline styles: the CSP forbids them) and is hidden
    from screen readers; the visually hidden text says the same. Built in Python
    because the team grid draws one per cell. Every value is an int.
    """
    values = [int(n) for n in counts][:5]
    values += [0] * (5 - len(values))
    rest = int(unrated)
    total = sum(values) + rest
    # The track shows through where questions are not rated.
    parts = ['<rect class="level-seg level-none" width="100" height="8"></rect>']
    x = 0.0
    for level, n in enumerate(values, start=1):
        if n and total:
            width = 100 * n / total
            parts.append(
                f'<rect class="level-seg level-{level}" x="{x:.2f}" width="{width:.2f}" height="8">'
                "</rect>"
            )
            x += width
    words = [f"{name} {n}" for name, n in zip(_LEVEL_NAMES, values, strict=True)]
    if unrated:
        words.append(f"not rated {rest}")
    return mark_safe(  # noqa: S308 — integers and fixed names only, see above
        '<span class="level-bar">'
        '<svg viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" '
        f'focusable="false">{"".join(parts)}</svg>'
        f'<span class="visually-hidden">{", ".join(words)}</span></span>'
    )
