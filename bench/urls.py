"""The site's URLs plus the benchmark's floors, which every endpoint is compared with."""

from django.urls import path

from bench import views
from studyhub import urls as site

urlpatterns = [
    path("bench/floor/", views.floor, name="bench_floor"),
    path("bench/write-floor/<slug:key>/", views.write_floor, name="bench_write_floor"),
    *site.urlpatterns,
]

handler400 = site.handler400
handler404 = site.handler404
handler500 = site.handler500
