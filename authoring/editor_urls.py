"""Writing, editing, revisions, retiring, promoting, undoing an import; the bank pages."""

from django.urls import path

from authoring import editor_views

urlpatterns = [
    path("questions/new/", editor_views.question_create, name="question_create"),
    path("questions/new/preview/", editor_views.answer_preview, name="answer_preview"),
    path("questions/<slug:key>/edit/", editor_views.question_edit, name="question_edit"),
    path("questions/<slug:key>/history/", editor_views.question_history, name="question_history"),
    path(
        "questions/<slug:key>/history/<int:number>/restore/",
        editor_views.revision_restore,
        name="revision_restore",
    ),
    path("questions/<slug:key>/retire/", editor_views.question_retire, name="question_retire"),
    path(
        "questions/<slug:key>/bring-back/",
        editor_views.question_unretire,
        name="question_unretire",
    ),
    path("questions/<slug:key>/promote/", editor_views.question_promote, name="question_promote"),
    path("teams/<int:team_id>/bank/", editor_views.team_bank, name="team_bank"),
    path("library/", editor_views.library, name="library"),
    path("bank/import/<int:import_id>/undo/", editor_views.import_undo, name="import_undo"),
]
