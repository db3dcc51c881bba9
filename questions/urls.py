from django.urls import path

from questions import export_views, import_views, views

app_name = "questions"

urlpatterns = [
    path("topics/", views.topic_list, name="topic_list"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic_detail"),
    path("questions/", views.question_list, name="question_list"),
    path("questions/<slug:key>/", views.question_detail, name="question_detail"),
    # The bank as files: download for everyone signed in, import for staff and instructors.
    path("bank/", import_views.bank, name="bank"),
    path("bank/export.json", export_views.export_bank_json, name="export_bank_json"),
    path("bank/export.csv", export_views.export_bank_csv, name="export_bank_csv"),
    path("bank/import/", import_views.import_upload, name="import_upload"),
    path("bank/import/<int:import_id>/", import_views.import_preview, name="import_preview"),
]
