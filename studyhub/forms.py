"""The project's form renderer: Django's form rendering with the project's own field
group (templates/forms/), so `{{ form }}` and `{{ form.field.as_field_group }}` give every
form the same accessible markup."""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Looks templates up like the pages do, so templates/forms/ can hold the layout;
    Django's widget templates come from `django.forms` in INSTALLED_APPS."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
