from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.models import User, known_time_zones


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        label="E-mail",
        help_text="Used only to reset your password.",
    )
    # Filled in by static/js/timezone.js with the browser's zone; the profile changes it.
    time_zone = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"data-browser-time-zone": True})
    )

    # django-stubs 5.2.9 lacks UserCreationForm.Meta (typeddjango/django-stubs#2112).
    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "display_name", "email", "time_zone")
        help_texts = {
            "display_name": "How your team sees you. Optional; defaults to your username."
        }

    def clean_time_zone(self) -> str:
        """The browser's zone when this server knows it; else blank (the site's zone).
        Nobody typed it, so a name we cannot use is no reason to refuse the sign-up."""
        name = self.cleaned_data["time_zone"]
        return name if name in known_time_zones() else ""


def time_zone_choices() -> list[tuple[str, Any]]:
    """The blank choice (the site's zone), then every known zone in a group for its region,
    "Europe" holding "Berlin" and the rest: typing a city's first letters finds it."""
    regions: dict[str, list[tuple[str, str]]] = {}
    other = []
    for name in sorted(known_time_zones()):
        region, _, place = name.partition("/")
        if place:
            regions.setdefault(region, []).append((name, place.replace("_", " ")))
        else:
            other.append((name, name))  # "UTC", "GB", "EST5EDT"
    return [("", f"Server default ({settings.TIME_ZONE})"), *regions.items(), ("Other", other)]


class ProfileForm(forms.ModelForm):
    # The model's field (its label and help), drawn with the box beside its label.
    type_answers = forms.BooleanField(
        required=False,
        label=User._meta.get_field("type_answers").verbose_name,
        help_text=User._meta.get_field("type_answers").help_text,
        template_name="forms/checkbox_field.html",
    )
    email_due_reminders = forms.BooleanField(
        required=False,
        label=User._meta.get_field("email_due_reminders").verbose_name,
        help_text=User._meta.get_field("email_due_reminders").help_text,
        template_name="forms/checkbox_field.html",
    )
    email_team_digest = forms.BooleanField(
        required=False,
        label=User._meta.get_field("email_team_digest").verbose_name,
        help_text=User._meta.get_field("email_team_digest").help_text,
        template_name="forms/checkbox_field.html",
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=time_zone_choices,
        required=False,
        widget=forms.Select(attrs={"data-browser-time-zone": True}),
    )

    class Meta:
        model = User
        fields = (
            "display_name",
            "email",
            "time_zone",
            "type_answers",
            "email_due_reminders",
            "email_team_digest",
        )
        labels = {"email": "E-mail"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # timezone.js offers the browser's zone, but not when it is the default's anyway.
        self.fields["time_zone"].widget.attrs["data-site-time-zone"] = settings.TIME_ZONE
        now = timezone.localtime(timezone.now(), self.instance.zone)
        self.fields["time_zone"].help_text = (
            "Times, “due today”, your calendar and your streak follow it. "
            f"Your time now: {format_date(now, 'D j M, H:i')}."
        )


class AccessTokenForm(forms.Form):
    """A new API token: a name to know it by, what it may do, how long it lasts."""

    LIFETIMES = {"30": 30, "90": 90, "365": 365, "never": None}

    name = forms.CharField(
        label="Name",
        max_length=80,
        help_text="What it is for, such as “Team scripts” or “My laptop”.",
    )
    scope = forms.ChoiceField(
        label="Access",
        choices=[
            ("read", "Read only: the bank, my marks, notes and progress"),
            ("write", "Read and write: also rate questions and write notes"),
        ],
        initial="read",
        widget=forms.RadioSelect,
    )
    lifetime = forms.ChoiceField(
        label="Expires",
        choices=[
            ("30", "In 30 days"),
            ("90", "In 90 days"),
            ("365", "In a year"),
            ("never", "Never"),
        ],
        initial="90",
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())
