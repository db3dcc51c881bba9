from django.contrib import admin

from progress.models import ConfidenceEvent, ConfidenceMark


@admin.register(ConfidenceMark)
class ConfidenceMarkAdmin(admin.ModelAdmin):
    list_display = ("user", "question", "level", "updated_at")
    list_filter = ("level",)
    raw_id_fields = ("user", "question")


@admin.register(ConfidenceEvent)
class ConfidenceEventAdmin(admin.ModelAdmin):
    list_display = ("user", "question", "level", "created_at")
    raw_id_fields = ("user", "question")


# Notes are deliberately not registered: they are private to their author.
