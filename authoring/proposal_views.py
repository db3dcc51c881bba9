"""Proposal pages: a team member proposes a question (warned of likely duplicates as they
type) and follows their proposals; the team's instructors review the queue and accept
or decline each proposal.

Team pages start from the user's membership (teams.permissions): a team the user is not
in is a 404, the review pages are a 403 for the team's learners, and a proposal is
looked up through the team's bank, so another team's proposal is a 404 too.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from accounts.http import AuthenticatedHttpRequest
from authoring.models import Proposal
from authoring.proposal_forms import DeclineForm, ProposalForm, ReviewForm
from authoring.proposals import (
    PER_PAGE,
    WAITING_MAX,
    DuplicateCheck,
    ProposalRefused,
    accept_proposal,
    decline_proposal,
    likely_duplicates,
    proposals_of,
    propose,
    queue_counts,
    queue_of,
    team_scope,
    too_many_waiting_message,
    waiting_count,
)
from authoring.services import content_from
from questions.access import visible_questions
from studyhub.pagination import CountedPaginator
from teams.crumbs import team_crumbs
from teams.models import Team
from teams.permissions import instructor_or_403, membership_or_404

FORM_PAGE = "authoring/proposals/proposal_form.html"
REVIEW_PAGE = "authoring/proposals/proposal_review.html"


# --- Proposing --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def proposal_create(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """Any member of the team proposes a question to it."""
    team = membership_or_404(request, team_id).team
    form = _proposal_form(team, data=request.POST if request.method == "POST" else None)
    check = DuplicateCheck([])
    waiting = waiting_count(bank_id=team.bank_id, author=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if waiting >= WAITING_MAX:
            form.add_error(None, too_many_waiting_message())
        elif (
            check := likely_duplicates(data["text"], among=visible_questions(request.user))
        ) and not data["send_anyway"]:
            form.add_error(
                None,
                "Your question looks like one you can already study (below). Open it to "
                "check; if yours asks something else, tick “Send it anyway” and send it again.",
            )
        else:
            try:
                propose(
                    bank_id=team.bank_id,
                    author=request.user,
                    text=data["text"],
                    answer=data["answer"],
                    long_answer=data["long_answer"],
                    topics=data["topics"],
                )
            except ProposalRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(
                    request,
                    f"Proposal sent to {team.name}. Its instructors will accept or decline it; "
                    "you can follow it here.",
                )
                return redirect("authoring:my_proposals")
    context = _form_context(team, form, check, waiting=waiting)
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, FORM_PAGE, context, status=status)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@login_required
def proposal_duplicates(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The likely duplicates of the question being typed, among the questions the
    learner sees: the form's #duplicates region for htmx; without htmx, the proposal
    form with that question filled in and its likely duplicates shown."""
    team = membership_or_404(request, team_id).team
    sent = request.POST if request.method == "POST" else request.GET
    text = sent.get("text", "")
    initial = {"text": text, "send_anyway": bool(sent.get("send_anyway"))}
    form = _proposal_form(team, initial=initial)
    check = likely_duplicates(" ".join(text.split()), among=visible_questions(request.user))
    if request.htmx:
        context = {"team": team, "form": form, "check": check}
        return TemplateResponse(request, f"{FORM_PAGE}#duplicates", context)
    waiting = waiting_count(bank_id=team.bank_id, author=request.user)
    return TemplateResponse(request, FORM_PAGE, _form_context(team, form, check, waiting=waiting))


def _proposal_form(
    team: Team, *, data: QueryDict | None = None, initial: dict[str, object] | None = None
) -> ProposalForm:
    duplicates_url = reverse("authoring:proposal_duplicates", kwargs={"team_id": team.pk})
    return ProposalForm(data, initial=initial, bank_id=team.bank_id, duplicates_url=duplicates_url)


def _form_context(team: Team, form: ProposalForm, check: DuplicateCheck, *, waiting: int) -> dict:
    return {
        "team": team,
        "form": form,
        "check": check,
        "waiting": waiting,
        "waiting_max": WAITING_MAX,
        "breadcrumbs": [*team_crumbs(team), ("Propose a question", None)],
    }


@require_GET
@login_required
def my_proposals(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every proposal of the user, latest first, with its team and how it was decided."""
    page = Paginator(proposals_of(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return TemplateResponse(request, "authoring/proposals/my_proposals.html", {"page": page})


# --- Reviewing ---------------------------------------------------------------------------


@require_GET
@login_required
def review_queue(request: AuthenticatedHttpRequest, team_id: int) -> HttpResponse:
    """The team's proposals for its instructors: those waiting first, oldest first."""
    team = instructor_or_403(request, team_id).team
    counts = queue_counts(team.bank_id)
    page = CountedPaginator(queue_of(team.bank_id), PER_PAGE, count=counts["total"]).get_page(
        request.GET.get("page")
    )
    context = {
        "team": team,
        "page": page,
        "waiting": counts["waiting"],
        "breadcrumbs": [*team_crumbs(team), ("Proposals", None)],
    }
    return TemplateResponse(request, "authoring/proposals/review_queue.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def proposal_review(
    request: AuthenticatedHttpRequest, team_id: int, proposal_id: int
) -> HttpResponse:
    """One proposal: accept it (as it is, or edited) or decline it with a reason. A
    decided proposal is shown as it was decided and is never decided again."""
    team = instructor_or_403(request, team_id).team
    proposal = get_object_or_404(
        Proposal.objects.filter(bank_id=team.bank_id).select_related(
            "author", "decided_by", "question"
        ),
        pk=proposal_id,
    )
    queue_url = reverse("authoring:review_queue", kwargs={"team_id": team.pk})
    if not proposal.is_pending:
        if request.method == "POST":
            messages.info(request, _already_decided(proposal))
            return redirect("authoring:proposal_review", team_id=team.pk, proposal_id=proposal.pk)
        return TemplateResponse(request, REVIEW_PAGE, _review_context(team, proposal))

    check = likely_duplicates(proposal.text, among=team_scope(team.bank_id))
    suggested = [d.question.pk for d in check.duplicates]
    action = request.POST.get("action") if request.method == "POST" else None
    review = ReviewForm(
        request.POST if action == "accept" else None,
        bank_id=team.bank_id,
        suggested=suggested,
        initial={
            "text": proposal.text,
            "answer": proposal.answer,
            "long_answer": proposal.long_answer,
            "topics": list(proposal.topics.all()),
            "related": suggested,
        },
    )
    decline = DeclineForm(request.POST if action == "decline" else None)
    problem = ""
    if request.method == "POST":
        if action == "accept" and review.is_valid():
            data = review.cleaned_data
            content = content_from(
                text=data["text"],
                concise=data["answer"],
                long=data["long_answer"],
                topics=data["topics"],
                related=data["related"],
            )
            question = accept_proposal(proposal=proposal, instructor=request.user, content=content)
            if question is None:
                messages.info(request, _already_decided(proposal))
            else:
                messages.success(
                    request,
                    f"Accepted: “{question.text}” is now Q{question.position} in "
                    f"{team.name}'s team bank.",
                )
            return redirect(queue_url)
        if action == "decline" and decline.is_valid():
            if decline_proposal(
                proposal=proposal, instructor=request.user, reason=decline.cleaned_data["reason"]
            ):
                messages.success(
                    request, f"Declined; {proposal.author.shown_name} can read your reason."
                )
            else:
                messages.info(request, _already_decided(proposal))
            return redirect(queue_url)
        if action not in ("accept", "decline"):
            problem = "Choose “Accept” or “Decline”."
    context = _review_context(team, proposal) | {
        "review": review,
        "decline": decline,
        "check": check,
        "problem": problem,
    }
    status = 422 if request.method == "POST" else 200
    return TemplateResponse(request, REVIEW_PAGE, context, status=status)


def _review_context(team: Team, proposal: Proposal) -> dict:
    return {
        "team": team,
        "proposal": proposal,
        "breadcrumbs": [
            *team_crumbs(team),
            ("Proposals", reverse("authoring:review_queue", kwargs={"team_id": team.pk})),
            (f"Proposal by {proposal.author.shown_name}", None),
        ],
    }


def _already_decided(proposal: Proposal) -> str:
    who = proposal.decided_by.shown_name if proposal.decided_by else "someone"
    return f"This proposal was already {proposal.get_status_display().lower()} by {who}."
