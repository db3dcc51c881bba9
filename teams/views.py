"""Team pages: the team list, joining, settings and members; topic sets, assignments,
the team dashboard and its CSV. Non-members get 404; learners get 403 on instructor
pages."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedHttpRequest
from progress.anki_views import anki_download
from progress.models import StudySession
from progress.selectors import with_my_level_and_note_flag
from progress.study import NothingToStudy, start_questions
from questions.models import Question, Topic
from studyhub.downloads import csv_attachment
from studyhub.http import id_or_none, local_url
from studyhub.pagination import paginate
from teams.crumbs import team_crumbs
from teams.forms import AssignmentForm, InviteCodeForm, TeamForm, TopicSetForm
from teams.models import Assignment, Team, TopicSet
from teams.permissions import instructor_or_403, membership_or_404
from teams.selectors import (
    Matrix,
    assignment_statuses,
    assignments_with_progress,
    group_by_state,
    learners_on_questions,
    members_in_order,
    progress_of_learners,
    sort_headers,
    team_grid,
    team_marks_on,
    team_matrix,
    topic_sets_with_size,
    weakest_questions,
)
from teams.services import (
    TeamRuleError,
    create_team,
    delete_topic_set,
    join_team,
    leave_team,
    promote,
    remove_member,
    save_assignment,
    save_topic_set,
)

# --- Teams ----------------------------------------------------------------


@require_GET
@login_required
def team_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    teams = Team.objects.for_member(request.user).with_member_count()
    context = {"teams": teams, "form": TeamForm(), "code_form": InviteCodeForm()}
    return TemplateResponse(request, "teams/team_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def team_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = create_team(name=form.cleaned_data["name"], creator=request.user)
        messages.success(request, f"Team “{team.name}” created. Share its invite link below.")
        return redirect(team)
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "teams/team_create.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def join_with_code(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("teams:team_join", code=form.cleaned_data["code"])
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "teams/join_with_code.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def team_join(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_authenticated and request.method == "POST":
        return redirect_to_login(request.get_full_path())
    team = Team.objects.filter(invite_code=code.upper()).first()
    if team is None:
        return TemplateResponse(request, "teams/team_join_invalid.html", status=404)
    if not request.user.is_authenticated:
        # Whoever has the link may see which team it is for; then sign up or log in,
        # both of which come back here.
        context = {"team": team, "next": request.get_full_path()}
        return TemplateResponse(request, "teams/team_join.html", context)
    if request.method == "POST":
        membership, joined = join_team(team=team, user=request.user)
        if joined:
            messages.success(request, f"You joined “{team.name}”.")
        return redirect(team)
    already = request.user.memberships.filter(team=team).exists()
    return TemplateResponse(request, "teams/team_join.html", {"team": team, "already": already})


@require_GET
@vary_on_headers("HX-Request")
@login_required
def team_detail(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    membership = membership_or_404(request, team_id)
    team = membership.team
    members = paginate(request, members_in_order(team), noun="members")
    if request.htmx and not request.htmx.history_restore_request:
        context = {"team": team, "membership": membership, "members": members}
        return TemplateResponse(request, "teams/team_detail.html#members", context)
    context = {
        "team": team,
        "membership": membership,
        "members": members,
        "assignments": assignments_with_progress(team, request.user),
        "invite_url": request.build_absolute_uri(
            reverse("teams:team_join", kwargs={"code": team.invite_code})
        ),
        "breadcrumbs": [("Teams", reverse("teams:team_list")), (team.name, None)],
    }
    return TemplateResponse(request, "teams/team_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def team_settings(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Team renamed.")
        return redirect(team)
    status = 422 if form.is_bound else 200
    context = {"team": team, "form": form, "breadcrumbs": [*team_crumbs(team), ("Settings", None)]}
    return TemplateResponse(request, "teams/team_settings.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def team_delete(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    if request.method == "POST":
        name = team.name
        team.delete()
        messages.success(request, f"Team “{name}” and its team bank deleted.")
        return redirect("teams:team_list")
    context = {
        "team": team,
        "bank_question_count": Question.objects.filter(bank=team.bank_id).count(),
    }
    return TemplateResponse(request, "teams/team_delete.html", context)


@require_POST
@login_required
def rotate_invite(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    team.rotate_invite()
    messages.success(request, "New invite link and code made; the old ones no longer work.")
    return redirect(team.get_absolute_url() + "#invite")


@require_POST
@login_required
def promote_member(
    request: AuthenticatedHttpRequest, team_id: int, membership_id: int
) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    member = get_object_or_404(team.memberships.select_related("user"), pk=membership_id)
    promote(membership=member)
    messages.success(request, f"{member.user.shown_name} is now an instructor.")
    return redirect(team.get_absolute_url() + "#members")


@require_POST
@login_required
def remove_member_view(
    request: AuthenticatedHttpRequest, team_id: int, membership_id: int
) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    member = get_object_or_404(team.memberships.select_related("user"), pk=membership_id)
    try:
        remove_member(membership=member)
    except TeamRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{member.user.shown_name} was removed from the team.")
        if member.user_id == request.user.pk:
            return redirect("teams:team_list")
    return redirect(team.get_absolute_url() + "#members")


@require_POST
@login_required
def leave(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    membership = membership_or_404(request, team_id)
    try:
        leave_team(membership=membership)
    except TeamRuleError as error:
        messages.error(request, str(error))
        return redirect(membership.team)
    messages.success(request, f"You left “{membership.team.name}”.")
    return redirect("teams:team_list")


# --- Studying an assignment or a topic set ----------------------------------


@require_POST
@login_required
def study_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a study session over an assignment (any member) or a topic set (its team's
    instructors); the session itself is progress's."""
    source = request.POST.get("source", "")
    topic_set = _topic_set_to_study(request, source)
    if topic_set is None:
        messages.error(request, "Choose what to study: an assignment or a topic set.")
        return redirect("progress:study_home")
    try:
        session = start_questions(
            user=request.user,
            source=source,
            label=topic_set.name,
            question_ids=topic_set.question_ids(),
        )
    except NothingToStudy as reason:
        messages.info(request, str(reason))
        # Back to the page the button was on (an assignment, the topic sets), or the study page.
        return redirect(local_url(request, request.POST.get("next", "")) or "progress:study_home")
    return redirect(session)


def _topic_set_to_study(request: AuthenticatedHttpRequest, source: str) -> TopicSet | None:
    """The topic set of the posted assignment or the posted topic set itself, looked up
    among those the user may study (else a 404); None for an unknown source."""
    if source == StudySession.Source.ASSIGNMENT:
        assignment = get_object_or_404(
            Assignment.objects.for_member(request.user).select_related("topic_set"),
            pk=_int_or_404(request.POST.get("assignment")),
        )
        return assignment.topic_set
    if source == StudySession.Source.TOPIC_SET:
        return get_object_or_404(
            TopicSet.objects.taught_by(request.user), pk=_int_or_404(request.POST.get("topic_set"))
        )
    return None


def _int_or_404(value: str | None) -> int:
    number = id_or_none(value) if value is not None else None
    if number is None:
        raise Http404("No such item.")
    return number


# --- Topic sets ---------------------------------------------------------------


@require_GET
@login_required
def topic_set_list(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    context = {
        "team": team,
        "rows": topic_sets_with_size(team),
        "breadcrumbs": [*team_crumbs(team), ("Topic sets", None)],
    }
    return TemplateResponse(request, "teams/topic_set_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def topic_set_edit(
    request: AuthenticatedHttpRequest, team_id: int, set_id: int | None = None
) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    topic_set = get_object_or_404(team.topic_sets, pk=set_id) if set_id else None
    data = request.POST if request.method == "POST" else request.GET
    browse = _browsed_topic(team, data.get("browse", ""))
    if request.POST.get("action") == "browse":
        # "Show its questions" (no JavaScript needed): the form again as it was filled
        # in, not saved and without errors, listing the chosen topic's questions too.
        return _topic_set_page(
            request,
            team,
            topic_set,
            TopicSetForm(
                initial=_as_initial(request.POST), instance=topic_set, team=team, browse=browse
            ),
        )
    form = TopicSetForm(request.POST or None, instance=topic_set, team=team, browse=browse)
    if request.method == "POST" and form.is_valid():
        topic_set = save_topic_set(
            team=team, author=request.user, topic_set=topic_set, **form.cleaned_data
        )
        messages.success(request, f"Topic set “{topic_set.name}” saved.")
        return redirect("teams:topic_set_list", team_id=team.pk)
    return _topic_set_page(request, team, topic_set, form)


def _browsed_topic(team: Team, value: str) -> Topic | None:
    """The topic whose questions the editor lists (?browse=<id>), of the team's scope."""
    topic_id = id_or_none(value)
    if topic_id is None:
        return None
    return Topic.objects.in_scope([team.bank_id]).filter(pk=topic_id).first()


def _as_initial(data: QueryDict) -> dict[str, object]:
    """A posted topic set form as the initial values of an unbound one."""
    return {
        "name": data.get("name", ""),
        "description": data.get("description", ""),
        "topics": data.getlist("topics"),
        "questions": data.getlist("questions"),
    }


def _topic_set_page(
    request: HttpRequest, team: Team, topic_set: TopicSet | None, form: TopicSetForm
) -> TemplateResponse:
    list_url = reverse("teams:topic_set_list", args=[team.pk])
    context = {
        "team": team,
        "form": form,
        "topic_set": topic_set,
        "set_size": form.question_count(),
        "browse_topics": form.fields["topics"].queryset,  # type: ignore[attr-defined]
        "breadcrumbs": [
            *team_crumbs(team),
            ("Topic sets", list_url),
            (topic_set.name if topic_set else "New", None),
        ],
    }
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "teams/topic_set_form.html", context, status=status)


@require_GET
@login_required
def topic_set_size(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The picker's live count: how many questions the ticked topics and questions hold."""
    team = instructor_or_403(request, team_id).team
    context = {"team": team, "set_size": TopicSetForm(request.GET, team=team).question_count()}
    return TemplateResponse(request, "teams/topic_set_form.html#set-size", context)


@require_POST
@login_required
def topic_set_delete(request: AuthenticatedHttpRequest, team_id: int, set_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    topic_set = get_object_or_404(team.topic_sets, pk=set_id)
    try:
        delete_topic_set(topic_set=topic_set)
    except TeamRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Topic set “{topic_set.name}” deleted.")
    return redirect("teams:topic_set_list", team_id=team.pk)


# --- Assignments --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def assignment_edit(
    request: AuthenticatedHttpRequest, team_id: int, assignment_id: int | None = None
) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    assignment = get_object_or_404(team.assignments, pk=assignment_id) if assignment_id else None
    if not team.topic_sets.exists():
        messages.error(request, "Build a topic set first; then you can assign it.")
        return redirect("teams:topic_set_create", team_id=team.pk)
    form = AssignmentForm(request.POST or None, instance=assignment, team=team)
    if request.method == "POST" and form.is_valid():
        assignment = save_assignment(
            team=team, author=request.user, assignment=assignment, **form.cleaned_data
        )
        messages.success(request, f"“{assignment.topic_set.name}” is assigned to {team.name}.")
        return redirect(team)
    here = "Edit assignment" if assignment else "Assign"
    context = {
        "team": team,
        "form": form,
        "assignment": assignment,
        "breadcrumbs": [*team_crumbs(team), (here, None)],
    }
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "teams/assignment_form.html", context, status=status)


@require_POST
@login_required
def assignment_withdraw(
    request: AuthenticatedHttpRequest, team_id: int, assignment_id: int
) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    assignment = get_object_or_404(team.assignments.select_related("topic_set"), pk=assignment_id)
    assignment.delete()
    messages.success(
        request, f"“{assignment.topic_set.name}” withdrawn. Nobody's progress was changed."
    )
    return redirect(team)


@require_GET
@login_required
def assignment_detail(
    request: AuthenticatedHttpRequest, team_id: int, assignment_id: int
) -> HttpResponse:
    """The questions of an assignment with my confidence on each; any member may open it."""
    membership = membership_or_404(request, team_id)
    team = membership.team
    assignment = get_object_or_404(team.assignments.select_related("topic_set"), pk=assignment_id)
    held = assignment.topic_set.question_ids()  # the library's and the team's only
    questions = Question.objects.live_in([team.bank_id]).filter(pk__in=held)
    progress = next(
        p for p in assignments_with_progress(team, request.user) if p.assignment == assignment
    )
    mine = with_my_level_and_note_flag(questions, request.user).order_by("position", "pk")
    context = {
        "team": team,
        "membership": membership,
        "assignment": assignment,
        "pager": paginate(request, mine, noun="questions"),
        "progress": progress,
        "breadcrumbs": [*team_crumbs(team), (assignment.topic_set.name, None)],
    }
    return TemplateResponse(request, "teams/assignment_detail.html", context)


@require_GET
@login_required
def assignment_anki(
    request: AuthenticatedHttpRequest, team_id: int, assignment_id: int
) -> HttpResponseBase:
    """An assignment's questions as an Anki package; any member may download it."""
    team = membership_or_404(request, team_id).team
    assignment = get_object_or_404(team.assignments.select_related("topic_set"), pk=assignment_id)
    return anki_download(
        request,
        assignment.topic_set.question_ids(),
        deck_name=assignment.topic_set.name,
        deck_key=f"assignment-{assignment.pk}",
    )


@require_GET
@login_required
def topic_set_anki(
    request: AuthenticatedHttpRequest, team_id: int, set_id: int
) -> HttpResponseBase:
    """A topic set's questions as an Anki package, for the team's instructors."""
    team = instructor_or_403(request, team_id).team
    topic_set = get_object_or_404(team.topic_sets, pk=set_id)
    return anki_download(
        request,
        topic_set.question_ids(),
        deck_name=topic_set.name,
        deck_key=f"topic-set-{topic_set.pk}",
    )


# --- The team dashboard -------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
@login_required
def team_dashboard(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    assignments = list(team.assignments.select_related("topic_set"))
    selected = _chosen_assignment(request, assignments)
    grid = team_grid(
        team,
        assignment=selected,
        others=request.GET.get("others") == "1",
        levels=request.GET.get("cells") == "levels",
        sort=request.GET.get("sort", ""),
    )
    pager = paginate(request, grid.learners, noun="learners")
    matrix = grid.matrix(pager.rows)
    fragment = request.htmx and not request.htmx.history_restore_request
    context = {
        "team": team,
        "matrix": matrix,
        "pager": pager,
        "headers": sort_headers(matrix, assignment=selected),
        "assignments": assignments,
        "selected": selected,
        "csv_query": _csv_query(matrix),
        "fragment": fragment,
        "statuses": [] if fragment else assignment_statuses(team, assignments),
        "topics": Topic.objects.in_scope([team.bank_id]).order_by("position", "name"),
        "breadcrumbs": [*team_crumbs(team), ("Dashboard", None)],
    }
    template = "teams/team_dashboard.html" + ("#matrix" if fragment else "")
    return TemplateResponse(request, template, context)


def _chosen_assignment(
    request: HttpRequest, assignments: Iterable[Assignment]
) -> Assignment | None:
    """The assignment chosen with ?assignment= (one of `assignments`); None shows every
    topic over the whole bank."""
    wanted = request.GET.get("assignment", "")
    return next((a for a in assignments if str(a.pk) == wanted), None)


def _csv_query(matrix: Matrix) -> str:
    """The CSV link's query: the rows, columns and order on screen (cells hold coverage
    in the CSV whichever way the grid shows them)."""
    query = {}
    if matrix.assignment is not None:
        query["assignment"] = str(matrix.assignment.pk)
        if matrix.others:
            query["others"] = "1"
    query["sort"] = ("-" if matrix.descending else "") + matrix.sort
    return urlencode(query)


@require_GET
@login_required
def team_topic(request: AuthenticatedHttpRequest, team_id: int, slug: str) -> HttpResponse:
    """“Who has covered deployment?” Learners grouped by their coverage of one topic, a
    page of 50 at a time, the most advanced first."""
    team = instructor_or_403(request, team_id).team
    banks = [team.bank_id]
    topic = get_object_or_404(Topic.objects.in_scope(banks), slug=slug)
    # Ids with their positions: the weakest questions are sorted on them.
    positions = dict(topic.questions.live_in(banks).values_list("pk", "position"))
    question_ids = set(positions)
    marks = team_marks_on(team, question_ids)  # both counts below come from this read
    learners = learners_on_questions(team, question_ids, marks=marks)
    pager = paginate(request, learners.ordered, noun="learners", count=learners.learner_count)
    on_page = group_by_state(learners.statuses(pager.rows))
    groups = [(state, learners.counts[state], on_page[state]) for state in on_page]
    dashboard = ("Dashboard", reverse("teams:team_dashboard", args=[team.pk]))
    context = {
        "team": team,
        "topic": topic,
        "groups": groups,
        "pager": pager,
        "question_count": len(question_ids),
        "weakest": weakest_questions(team, topic, positions=positions, marks=marks),
        "learner_count": learners.learner_count,
        "breadcrumbs": [*team_crumbs(team), dashboard, (topic.name, None)],
    }
    return TemplateResponse(request, "teams/team_topic.html", context)


# --- CSV exports ----------------------------------------------------------------


@require_GET
@login_required
def team_matrix_csv(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    # The same rows, columns and figures as the dashboard it is downloaded from.
    # Assignments are read only when one is asked for: an unfiltered export stays as it was.
    filtered = bool(request.GET.get("assignment"))
    assignments = team.assignments.select_related("topic_set") if filtered else []
    matrix = team_matrix(
        team,
        assignment=_chosen_assignment(request, assignments),
        others=request.GET.get("others") == "1",
        sort=request.GET.get("sort", ""),
    )
    name = slugify(team.name) or "team"
    if matrix.assignment is not None:
        name += "-" + (slugify(matrix.assignment.topic_set.name) or "assignment")
    header, rows = _coverage_table(matrix)
    return csv_attachment(f"{name}-coverage.csv", [header, *rows])


def _coverage_table(matrix: Matrix) -> tuple[list[str], Iterator[list]]:
    """The dashboard's grid as CSV rows: the covered count of each topic and the fresh
    count, as before verification existed, then how many covered questions of each topic
    are verified and how many overall (appended, so a spreadsheet that reads the older
    columns by position still reads them); over the assignment when filtered."""
    filtered = matrix.assignment is not None
    # Filtered, the totals count the assignment's questions only, and say so.
    totals = ["Covered", "Questions", "Coverage %"]
    header = ["Member", "Username"]
    header += [f"{h} (assignment)" for h in totals] if filtered else totals
    header += ["Status"] if filtered else []
    header.append("Last activity")
    header += [
        f"{c.topic.name} (of {c.total}{'' if c.in_assignment else ', not in the assignment'})"
        for c in matrix.columns
    ]
    header.append("Fresh (covered, not yet due)")
    header += [f"{c.topic.name} verified" for c in matrix.columns]
    header.append("Verified (assignment)" if filtered else "Verified overall")
    rows = (
        [
            row.user.shown_name,
            row.user.username,
            row.covered,
            row.total,
            row.percent,
            *([row.state] if filtered else []),
            timezone.localdate(row.last_activity).isoformat() if row.last_activity else "",
            *[cell.covered for cell in row.cells],
            row.fresh,
            *[cell.verified for cell in row.cells],
            row.verified,
        ]
        for row in matrix.rows
    )
    return header, rows


@require_GET
@login_required
def assignment_status_csv(
    request: AuthenticatedHttpRequest, team_id: int, assignment_id: int
) -> HttpResponse:
    team = instructor_or_403(request, team_id).team
    assignment = get_object_or_404(team.assignments.select_related("topic_set"), pk=assignment_id)
    statuses = progress_of_learners(team, assignment.topic_set.question_ids())
    header = ["Member", "Username", "Status", "Covered", "Questions", "Coverage %", "Due date"]
    due = assignment.due_date.isoformat() if assignment.due_date else ""
    rows = (
        [
            s.membership.user.shown_name,
            s.membership.user.username,
            s.progress.state,
            s.progress.covered,
            s.progress.total,
            s.progress.percent,
            due,
        ]
        for s in statuses
    )
    filename = f"{slugify(assignment.topic_set.name) or 'assignment'}-status.csv"
    return csv_attachment(filename, [header, *rows])
