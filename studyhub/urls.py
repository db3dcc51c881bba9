from django.contrib import admin
from django.urls import include, path

from api.main import api
from studyhub import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Before progress: "questions/new/" is the editor, not a question with the key "new".
    path("", include("authoring.urls")),
    path("", include("progress.urls")),
    path("", include("questions.urls")),
    path("accounts/", include("accounts.urls")),
    # Single sign-on: /accounts/oidc/<provider id>/login/ and its callback (accounts/sso.py).
    path("accounts/", include("accounts.sso_urls")),
    path("teams/", include("teams.urls")),
    path("reminders/", include("reminders.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

handler400 = "studyhub.views.bad_request"
handler404 = "studyhub.views.page_not_found"
handler500 = "studyhub.views.server_error"
