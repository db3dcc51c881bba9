from django.urls import path

from teams import insight_views, sharing_views, views

app_name = "teams"

urlpatterns = [
    path("", views.team_list, name="team_list"),
    path("study/", views.study_start, name="study_start"),
    path("new/", views.team_create, name="team_create"),
    path("join/", views.join_with_code, name="join_with_code"),
    path("join/<str:code>/", views.team_join, name="team_join"),
    path("<int:team_id>/", views.team_detail, name="team_detail"),
    path("<int:team_id>/settings/", views.team_settings, name="team_settings"),
    path("<int:team_id>/delete/", views.team_delete, name="team_delete"),
    path("<int:team_id>/invite/", views.rotate_invite, name="rotate_invite"),
    path("<int:team_id>/leave/", views.leave, name="leave"),
    path(
        "<int:team_id>/members/<int:membership_id>/promote/",
        views.promote_member,
        name="promote_member",
    ),
    path(
        "<int:team_id>/members/<int:membership_id>/remove/",
        views.remove_member_view,
        name="remove_member",
    ),
    path("<int:team_id>/sets/", views.topic_set_list, name="topic_set_list"),
    path("<int:team_id>/sets/new/", views.topic_set_edit, name="topic_set_create"),
    path("<int:team_id>/sets/size/", views.topic_set_size, name="topic_set_size"),
    path("<int:team_id>/sets/<int:set_id>/", views.topic_set_edit, name="topic_set_edit"),
    path(
        "<int:team_id>/sets/<int:set_id>/delete/",
        views.topic_set_delete,
        name="topic_set_delete",
    ),
    path("<int:team_id>/assignments/new/", views.assignment_edit, name="assignment_create"),
    path(
        "<int:team_id>/assignments/<int:assignment_id>/",
        views.assignment_detail,
        name="assignment_detail",
    ),
    path(
        "<int:team_id>/assignments/<int:assignment_id>/edit/",
        views.assignment_edit,
        name="assignment_edit",
    ),
    path(
        "<int:team_id>/assignments/<int:assignment_id>/withdraw/",
        views.assignment_withdraw,
        name="assignment_withdraw",
    ),
    path(
        "<int:team_id>/assignments/<int:assignment_id>/anki.apkg",
        views.assignment_anki,
        name="assignment_anki",
    ),
    path("<int:team_id>/sets/<int:set_id>/anki.apkg", views.topic_set_anki, name="topic_set_anki"),
    path(
        "<int:team_id>/assignments/<int:assignment_id>/status.csv",
        views.assignment_status_csv,
        name="assignment_status_csv",
    ),
    path("<int:team_id>/dashboard/", views.team_dashboard, name="team_dashboard"),
    path("<int:team_id>/dashboard.csv", views.team_matrix_csv, name="team_matrix_csv"),
    path("<int:team_id>/topics/<slug:slug>/", views.team_topic, name="team_topic"),
    # Instructor insight: one learner in full, and the questions the team finds hard.
    path(
        "<int:team_id>/members/<int:membership_id>/",
        insight_views.member_detail,
        name="member_detail",
    ),
    path("<int:team_id>/questions/", insight_views.hard_questions, name="hard_questions"),
    path(
        "<int:team_id>/questions.csv",
        insight_views.hard_questions_csv,
        name="hard_questions_csv",
    ),
    # The team's confidence against its checked recall, per topic.
    path("<int:team_id>/calibration/", insight_views.calibration, name="calibration"),
    path(
        "<int:team_id>/calibration.csv",
        insight_views.calibration_csv,
        name="calibration_csv",
    ),
    # Opt-in team progress for learners.
    path("<int:team_id>/progress/", sharing_views.team_progress, name="team_progress"),
    path("<int:team_id>/progress/share/", sharing_views.share_progress, name="share_progress"),
    path(
        "<int:team_id>/progress/visibility/",
        sharing_views.team_visibility,
        name="team_visibility",
    ),
]
