from django.urls import path

from progress import (
    anki_views,
    calibration_views,
    export_views,
    history_views,
    recall_views,
    study_views,
    topic_views,
    views,
)

app_name = "progress"

urlpatterns = [
    path("study/", study_views.study_home, name="study_home"),
    path("study/start/", study_views.study_start, name="study_start"),
    path("study/these/", study_views.study_these, name="study_these"),
    path("study/<int:session_id>/", study_views.study_session, name="study_session"),
    path("study/<int:session_id>/rate/", study_views.study_rate, name="study_rate"),
    path("study/<int:session_id>/move/", study_views.study_move, name="study_move"),
    path("", views.dashboard, name="dashboard"),
    path("topics/", topic_views.topic_list, name="topic_list"),
    path("topics/<slug:slug>/", topic_views.topic_detail, name="topic_detail"),
    path("questions/", topic_views.question_list, name="question_list"),
    path("questions/<slug:key>/", views.question_detail, name="question_detail"),
    path("questions/<slug:key>/confidence/", views.mark_confidence, name="mark_confidence"),
    path("questions/<slug:key>/note/", views.edit_note, name="edit_note"),
    path("questions/<slug:key>/check/", recall_views.check_answer, name="check_answer"),
    path(
        "checks/<int:check_id>/points/<int:index>/correct/",
        recall_views.correct_point,
        name="correct_point",
    ),
    path("checks/<int:check_id>/delete/", recall_views.delete_check, name="delete_check"),
    path("checks/delete/", recall_views.delete_all_checks, name="delete_all_checks"),
    path("checks/typing/", recall_views.typing_preference, name="typing_preference"),
    # Questions to take to Anki (.apkg): the bank, a topic, what is due.
    path("anki/bank.apkg", anki_views.anki_bank, name="anki_bank"),
    path("anki/topics/<slug:slug>.apkg", anki_views.anki_topic, name="anki_topic"),
    path("anki/due.apkg", anki_views.anki_due, name="anki_due"),
    path("notes/", views.note_list, name="note_list"),
    path("notes/<int:pk>/", views.note_detail, name="note_detail"),
    path("history/", history_views.history, name="history"),
    path("calibration/", calibration_views.calibration, name="calibration"),
    # Under /accounts/ beside the profile page that links to it; it lives here because it
    # reads marks, notes and history (docs/architecture.md).
    path("accounts/profile/my-data.json", export_views.download_my_data, name="download_my_data"),
]
