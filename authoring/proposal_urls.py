"""Proposals: a learner proposes, the team's instructors accept or decline."""

from django.urls import path

from authoring import proposal_views

urlpatterns = [
    path(
        "teams/<int:team_id>/propose/",
        proposal_views.proposal_create,
        name="proposal_create",
    ),
    path(
        "teams/<int:team_id>/propose/duplicates/",
        proposal_views.proposal_duplicates,
        name="proposal_duplicates",
    ),
    path("proposals/", proposal_views.my_proposals, name="my_proposals"),
    path(
        "teams/<int:team_id>/proposals/",
        proposal_views.review_queue,
        name="review_queue",
    ),
    path(
        "teams/<int:team_id>/proposals/<int:proposal_id>/",
        proposal_views.proposal_review,
        name="proposal_review",
    ),
]
