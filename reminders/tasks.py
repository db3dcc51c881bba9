"""The daily reminders as a task for Django's tasks framework (the django-tasks backport):
`manage.py send_reminders --enqueue` (from cron, say) queues it and a worker running
`manage.py db_worker` sends it; docs/deploy.md shows both ways."""

from __future__ import annotations

from django_tasks import task

from reminders.sending import send_reminders


@task()
def send_reminders_task() -> str:
    """Send the reminders and digests due now; the report is the task's return value."""
    return str(send_reminders())
