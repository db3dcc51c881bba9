"""The addresses people bookmark, share in invites and put in e-mails.

This is the one place that spells out paths. Every other test reaches a page
through ``reverse()``, so a route can move in code only by changing this table
too, which makes the break to people's bookmarks a deliberate choice.
"""

import pytest
from django.urls import resolve, reverse

PUBLIC_ADDRESSES = [
    ("progress:dashboard", {}, "/"),
    ("progress:topic_list", {}, "/topics/"),
    ("progress:topic_detail", {"slug": "robustness"}, "/topics/robustness/"),
    ("progress:question_list", {}, "/questions/"),
    ("progress:question_detail", {"key": "q-12"}, "/questions/q-12/"),
    ("progress:note_list", {}, "/notes/"),
    ("progress:note_detail", {"pk": 4}, "/notes/4/"),
    ("progress:history", {}, "/history/"),
    ("progress:study_home", {}, "/study/"),
    ("progress:study_session", {"session_id": 3}, "/study/3/"),
    ("progress:download_my_data", {}, "/accounts/profile/my-data.json"),
    ("questions:bank", {}, "/bank/"),
    ("questions:export_bank_json", {}, "/bank/export.json"),
    ("questions:export_bank_csv", {}, "/bank/export.csv"),
    ("questions:import_upload", {}, "/bank/import/"),
    ("accounts:signup", {}, "/accounts/signup/"),
    ("accounts:login", {}, "/accounts/login/"),
    ("accounts:logout", {}, "/accounts/logout/"),
    ("accounts:profile", {}, "/accounts/profile/"),
    ("accounts:password_change", {}, "/accounts/password/"),
    ("accounts:password_reset", {}, "/accounts/password/reset/"),
    (
        "accounts:password_reset_confirm",
        {"uidb64": "MQ", "token": "abc-123"},
        "/accounts/password/reset/MQ/abc-123/",
    ),
    ("teams:team_list", {}, "/teams/"),
    ("teams:team_join", {"code": "Xy12ab"}, "/teams/join/Xy12ab/"),
    ("teams:team_detail", {"team_id": 7}, "/teams/7/"),
    ("teams:team_settings", {"team_id": 7}, "/teams/7/settings/"),
    ("teams:team_dashboard", {"team_id": 7}, "/teams/7/dashboard/"),
    ("teams:team_topic", {"team_id": 7, "slug": "ocr"}, "/teams/7/topics/ocr/"),
    ("teams:team_matrix_csv", {"team_id": 7}, "/teams/7/dashboard.csv"),
    (
        "teams:assignment_detail",
        {"team_id": 7, "assignment_id": 2},
        "/teams/7/assignments/2/",
    ),
    (
        "teams:assignment_status_csv",
        {"team_id": 7, "assignment_id": 2},
        "/teams/7/assignments/2/status.csv",
    ),
    ("authoring:question_create", {}, "/questions/new/"),
    ("authoring:question_edit", {"key": "q-12"}, "/questions/q-12/edit/"),
    ("authoring:question_history", {"key": "q-12"}, "/questions/q-12/history/"),
    ("authoring:team_bank", {"team_id": 7}, "/teams/7/bank/"),
    ("authoring:library", {}, "/library/"),
    ("authoring:my_proposals", {}, "/proposals/"),
    ("authoring:proposal_create", {"team_id": 7}, "/teams/7/propose/"),
    ("authoring:review_queue", {"team_id": 7}, "/teams/7/proposals/"),
    ("authoring:proposal_review", {"team_id": 7, "proposal_id": 3}, "/teams/7/proposals/3/"),
    ("healthz", {}, "/healthz"),
    # Browsers ask for this exact path on pages that name no icon.
    ("favicon", {}, "/favicon.ico"),
]


@pytest.mark.parametrize(("name", "kwargs", "path"), PUBLIC_ADDRESSES)
def test_a_public_address_stays_where_people_saved_it(name, kwargs, path):
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).view_name == name
