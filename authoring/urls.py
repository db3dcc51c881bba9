"""Writing, editing and retiring questions (editor_urls), and learners' proposals and
their review (proposal_urls)."""

from authoring import editor_urls, proposal_urls

app_name = "authoring"

urlpatterns = [*editor_urls.urlpatterns, *proposal_urls.urlpatterns]
