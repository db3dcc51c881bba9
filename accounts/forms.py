from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        label="E-mail",
        help_text="Used only to reset your password.",
    )

    # django-stubs 5.2.9 lacks UserCreationForm.Meta (typeddjango/django-stubs#2112).
    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "display_name", "email")
        help_texts = {
            "display_name": "How your team sees you. Optional; defaults to your username."
        }


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "email")
        labels = {"email": "E-mail"}
