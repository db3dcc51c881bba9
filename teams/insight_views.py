"""Instructor insight: one learner in full, the questions the team finds hard, and
the team's calibration.

Instructor pages: non-members get a 404, the team's learners a 403 (instructor_or_403).
No page reads a learner's notes or typed answers: calibration shows scores and sums.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from progress.calibration import CALIBRATION_MARGIN, HIGH_LEVEL
from progress.models import Confidence
from progress.recall import EXPECTED_RECALL
from questions.models import Topic
from studyhub.downloads import csv_attachment
from studyhub.pagination import paginate
from teams.crumbs import Crumb, team_crumbs
from teams.insight import (
    CHANGE_DAYS,
    LEVELS,
    LOWEST_SHOWN,
    HardReport,
    member_insight,
    report_headers,
    team_calibration,
)
from teams.insight import hard_questions as hard_report
from teams.models import Assignment, Team
from teams.permissions import instructor_or_403

#: Rows on one page of the hard-questions report.
HARD_QUESTIONS_PER_PAGE = 50


def _dashboard_crumb(team: Team) -> Crumb:
    return ("Dashboard", reverse("teams:team_dashboard", args=[team.pk]))


@require_GET
@login_required
def member_detail(
    request: AuthenticatedHttpRequest, team_id: int, membership_id: int
) -> HttpResponse:
    """One learner of the team in full: coverage, confidence, activity, assignments."""
    team = instructor_or_403(request, team_id).team
    membership = get_object_or_404(
        team.memberships.learners().select_related("user"), pk=membership_id
    )
    insight = member_insight(team, membership)
    name = membership.user.shown_name
    context = {
        "team": team,
        "insight": insight,
        "chart": insight.activity_chart,
        "lowest_shown": LOWEST_SHOWN,
        "margin": CALIBRATION_MARGIN,
        "high_label": Confidence(HIGH_LEVEL).label,
        "breadcrumbs": [*team_crumbs(team), _dashboard_crumb(team), (name, None)],
    }
    return TemplateResponse(request, "teams/member_detail.html", context)


def _report(request: HttpRequest, team: Team, assignments: list[Assignment]) -> HardReport:
    """The report for the topic (?topic=<slug>) and assignment (?assignment=<pk>) asked
    for; an unknown value filters nothing, as on the dashboard."""
    slug = request.GET.get("topic", "")
    topic = Topic.objects.in_scope([team.bank_id]).filter(slug=slug).first() if slug else None
    wanted = request.GET.get("assignment", "")
    assignment = next((a for a in assignments if str(a.pk) == wanted), None)
    return hard_report(team, topic=topic, assignment=assignment, sort=request.GET.get("sort", ""))


@require_GET
@login_required
def hard_questions(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """Per question of the team's scope: who rated it, how, and the Not yet/Shaky share
    now and its change; sortable, filterable by topic or assignment, 50 rows a page."""
    team = instructor_or_403(request, team_id).team
    assignments = list(team.assignments.select_related("topic_set"))
    topics = list(Topic.objects.in_scope([team.bank_id]).order_by("position", "name"))
    report = _report(request, team, assignments)
    pager = paginate(request, report.questions, noun="questions", per_page=HARD_QUESTIONS_PER_PAGE)
    context = {
        "team": team,
        "report": report,
        "pager": pager,
        "rows": report.rows_of(pager.rows),
        "headers": report_headers(report),
        "assignments": assignments,
        "topics": topics,
        "levels": LEVELS,
        "change_days": CHANGE_DAYS,
        "query": urlencode(report.query),
        "breadcrumbs": [*team_crumbs(team), _dashboard_crumb(team), ("Hard questions", None)],
    }
    return TemplateResponse(request, "teams/hard_questions.html", context)


def _csv_filename(team: Team, report: HardReport) -> str:
    """The team's name, then the topic and the assignment the report is filtered to:
    "cv-interview-prep-deployment-hard-questions.csv"."""
    parts = [slugify(team.name) or "team"]
    if report.topic is not None:
        parts.append(slugify(report.topic.slug))
    if report.assignment is not None:
        parts.append(slugify(report.assignment.topic_set.name))
    return "-".join(part for part in parts if part) + "-hard-questions.csv"


@require_GET
@login_required
def hard_questions_csv(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """Every row of the report, with the same filter and order, level counts as columns."""
    team = instructor_or_403(request, team_id).team
    filtered = bool(request.GET.get("assignment"))
    assignments = list(team.assignments.select_related("topic_set")) if filtered else []
    report = _report(request, team, assignments)
    header: list[object] = [
        "Question",
        "Text",
        "Rated by",
        *(name for _level, name in LEVELS),
        "Not yet or Shaky %",
        "Average level",
        f"Not yet or Shaky % {CHANGE_DAYS} days ago",
        "Change (points)",
    ]
    rows: list[list[object]] = [
        [
            row.question.position,
            row.question.text,
            row.rated,
            *row.levels,
            row.share,
            f"{row.average:.1f}" if row.average is not None else None,
            row.then_share,
            row.change,
        ]
        for row in report.rows
    ]
    return csv_attachment(_csv_filename(team, report), [header, *rows])


# --- The team's calibration ------------------------------------------------------------


@require_GET
@login_required
def calibration(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """Per topic, the team's average confidence (as the recall it promises) against its
    average checked recall, the most over-confident topics first. Per learner only on
    the member page."""
    team = instructor_or_403(request, team_id).team
    context = {
        "team": team,
        "report": team_calibration(team),
        "margin": CALIBRATION_MARGIN,
        "high_label": Confidence(HIGH_LEVEL).label,
        "promises": [(Confidence(level).label, score) for level, score in EXPECTED_RECALL.items()],
        "breadcrumbs": [
            *team_crumbs(team),
            _dashboard_crumb(team),
            ("Confidence and recall", None),
        ],
    }
    return TemplateResponse(request, "teams/team_calibration.html", context)


@require_GET
@login_required
def calibration_csv(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The calibration page's table, in its order: one row per topic, figures only."""
    team = instructor_or_403(request, team_id).team
    report = team_calibration(team)
    header: list[object] = [
        "Topic",
        "Questions",
        "Checks",
        "Learners checked",
        "Confidence (promised recall)",
        "Recall",
        "Gap (points)",
        "Verdict",
        f"{Confidence(HIGH_LEVEL).label} or higher, under half recalled",
        "Verified",
    ]
    rows: list[list[object]] = [
        [
            row.topic.name,
            row.question_count,
            row.recall.checks,
            row.learners,
            row.recall.promised,
            row.recall.recalled,
            row.recall.gap,
            row.recall.verdict or "",
            row.recall.sure_but_short,
            row.recall.verified,
        ]
        for row in report.topics
    ]
    return csv_attachment(f"{slugify(team.name) or 'team'}-calibration.csv", [header, *rows])
