from django.contrib import admin

from questions.models import Answer, ImportRecord, Question, Topic


class AnswerInline(admin.StackedInline):
    model = Answer
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("position", "key", "text")
    list_display_links = ("key",)
    search_fields = ("key", "text")
    list_filter = ("topics",)
    filter_horizontal = ("topics", "related")
    inlines = [AnswerInline]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin):
    """Who imported which file, when, and what it added."""

    list_display = ("file_name", "user", "status", "created_at", "imported_at")
    list_filter = ("status",)
    search_fields = ("file_name", "user__username")
    readonly_fields = ("user", "created_at", "imported_at", "summary")
