"""Schedules in the admin: first run, requester, start data and whether active are editable (audited)."""

from typing import Any

from django import forms
from django.contrib import admin

from .models import Schedule, ScheduleDocument, ScheduleRun
from .services import EDITABLE, schedule_documents_audit, schedule_file_inputs, schedule_update


class ScheduleDocumentForm(forms.ModelForm):
    """The input a document answers must be a `file` start input of the scheduled flow."""

    class Meta:
        model = ScheduleDocument
        fields = ("input_id", "file")

    def clean_input_id(self) -> str:
        value = self.cleaned_data["input_id"]
        schedule = self.instance.schedule if self.instance.schedule_id else self.parent_schedule
        allowed = schedule_file_inputs(schedule=schedule)
        if value not in allowed:
            options = "; ".join(f"{key} ({element})" for key, element in allowed.items()) or "ninguna"
            raise forms.ValidationError(f"No es una entrada de tipo archivo del flujo. Entradas: {options}.")
        return value

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload and hasattr(upload, "content_type"):  # a new upload: keep the name it was given
            self.instance.filename = upload.name[:255]
        return upload


class ScheduleDocumentInline(admin.TabularInline):
    model = ScheduleDocument
    form = ScheduleDocumentForm
    extra = 1

    def get_formset(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.parent_schedule = obj  # the schedule a new row's input is checked against
        return formset


class ScheduleRunInline(admin.TabularInline):
    model = ScheduleRun
    extra = 0
    can_delete = False
    fields = ("occurrence_at", "status", "case", "error")
    readonly_fields = fields
    ordering = ("-occurrence_at",)
    show_change_link = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = (
        "entity",
        "procedure_code",
        "flow",
        "frequency",
        "first_run_at",
        "requester",
        "next_run_at",
        "active",
    )
    list_filter = ("entity", "frequency", "active")
    search_fields = ("procedure_code", "flow")
    fields = (
        "entity",
        "procedure_code",
        "flow",
        "start_activity",
        "frequency",
        "working_days",
        *EDITABLE,
        "next_run_at",
    )
    readonly_fields = (
        "entity",
        "procedure_code",
        "flow",
        "start_activity",
        "frequency",
        "working_days",
        "next_run_at",
    )
    autocomplete_fields = ()
    inlines = [ScheduleDocumentInline, ScheduleRunInline]

    def has_add_permission(self, request: Any) -> bool:
        return False  # made from the definitions (mapro schedules sync)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # deactivate instead: its runs are the record of what was started

    def save_model(self, request: Any, obj: Schedule, form: Any, change: bool) -> None:
        changes = {field: form.cleaned_data[field] for field in form.changed_data if field in EDITABLE}
        if changes:
            actor = getattr(request.user, "person", None)
            label = None if actor is not None else f"administrador {request.user.get_username()}"
            schedule_update(schedule=obj, actor=actor, changes=changes, actor_label=label)

    def save_formset(self, request: Any, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is not ScheduleDocument:
            return
        changed = [f.cleaned_data.get("input_id", "") for f in formset.forms if f.has_changed()]
        if changed:
            actor = getattr(request.user, "person", None)
            label = None if actor is not None else f"administrador {request.user.get_username()}"
            schedule_documents_audit(schedule=form.instance, actor=actor, actor_label=label, changed=changed)


@admin.register(ScheduleRun)
class ScheduleRunAdmin(admin.ModelAdmin):
    list_display = ("schedule", "occurrence_at", "status", "case", "created_at")
    list_filter = ("status", "schedule__entity")
    readonly_fields = ("schedule", "occurrence_at", "status", "case", "error", "created_at")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
