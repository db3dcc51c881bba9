from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import Team, User


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        label="E-mail",
        help_text="Used only to reset your password.",
    )

    class Meta(UserCreationForm.Meta):
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


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ("name",)
        labels = {"name": "Team name"}
        help_texts = {"name": "For example “CV interview prep, spring cohort”."}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the team a name.")
        return name


class InviteCodeForm(forms.Form):
    code = forms.CharField(
        label="Invite code",
        max_length=300,
        help_text="The 8-character code your instructor shared, e.g. K7QP2XMA.",
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        # Accept a pasted invite link as well as the bare code.
        code = code.rstrip("/").rsplit("/", 1)[-1].upper()
        try:
            self.team = Team.objects.get(invite_code=code)
        except Team.DoesNotExist:
            raise forms.ValidationError(
                "No team has this invite code. Check it with your instructor; "
                "codes change when an instructor renews the invite link."
            ) from None
        return code
