from django.urls import path

from questions import export_views, import_views

app_name = "questions"

urlpatterns = [
    # The bank as files: download for everyone signed in, import for staff and instructors.
    path("bank/", import_views.bank, name="bank"),
    path("bank/export.json", export_views.export_bank_json, name="export_bank_json"),
    path("bank/export.csv", export_views.export_bank_csv, name="export_bank_csv"),
    path("bank/import/", import_views.import_upload, name="import_upload"),
    path("bank/import/<int:import_id>/", import_views.import_preview, name="import_preview"),
]
