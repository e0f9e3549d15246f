"""
Who may act: entity → organizational unit → role → person, with dated role assignments and delegations.

Roles are named by the same identifiers the procedure definitions use (`responsable_plataforma_correo`),
scoped to the entity, so "only the responsible role acts" is a lookup, not a mapping table.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from mapro.core.models import BaseModel


class Entity(BaseModel):
    """A public entity (MVCS, Senace, MINCETUR, MINDEF) with its calendar settings."""

    code = models.CharField("código", max_length=20, unique=True)
    name = models.CharField("nombre", max_length=200)
    region = models.CharField(
        "región",
        max_length=60,
        blank=True,
        help_text="Para los feriados regionales (vacío: solo nacionales).",
    )
    # Office hours, for rules in working hours (at least 8 consecutive hours, set by the entity).
    workday_start = models.TimeField("inicio de la jornada", default=dt.time(8, 30))
    workday_end = models.TimeField("fin de la jornada", default=dt.time(17, 30))
    # Filings received up to this time of a working day count as received that day
    # (INDECOPI 0518-2024/SEL-INDECOPI: up to 23:59); later ones, the next working day.
    filing_cutoff = models.TimeField("hora de corte de recepción", default=dt.time(23, 59, 59))

    class Meta:
        verbose_name = "entidad"
        verbose_name_plural = "entidades"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Unit(BaseModel):
    """Órgano o unidad orgánica."""

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="units", verbose_name="entidad")
    code = models.CharField("código", max_length=60)
    name = models.CharField("nombre", max_length=200)
    acronym = models.CharField("siglas", max_length=30, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="unidad superior",
    )
    # The unit's head as a role, not a person: whoever holds it that day, directly or by an encargatura,
    # is told when the unit's activities run overdue (Ley 27444 art. 154; docs/decisions/0023-mail.md).
    head_role = models.ForeignKey(
        "Role",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="rol del jefe",
        help_text="Quien ejerza este rol recibe los avisos de plazos vencidos de la unidad.",
    )

    class Meta:
        verbose_name = "unidad orgánica"
        verbose_name_plural = "unidades orgánicas"
        constraints = [models.UniqueConstraint(fields=["entity", "code"], name="unit_code_per_entity")]
        ordering = ["entity", "name"]

    def __str__(self) -> str:
        return self.acronym or self.name

    def clean(self) -> None:
        if self.head_role_id is not None and self.head_role.entity_id != self.entity_id:
            raise ValidationError({"head_role": "El rol del jefe debe ser un rol de la misma entidad."})


class Role(BaseModel):
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="roles", verbose_name="entidad")
    code = models.CharField("código", max_length=60, help_text="El identificador que usan las fichas.")
    name = models.CharField("nombre", max_length=200)

    class Meta:
        verbose_name = "rol"
        verbose_name_plural = "roles"
        constraints = [models.UniqueConstraint(fields=["entity", "code"], name="role_code_per_entity")]
        ordering = ["entity", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.entity.code})"


class Person(BaseModel):
    # Empty for an outside requester (a citizen, a contractor) registered by the mesa de ayuda: no login.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="person",
        verbose_name="usuario",
    )
    entity = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="people", verbose_name="entidad"
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
        verbose_name="unidad orgánica",
    )
    full_name = models.CharField("nombre completo", max_length=200)
    email = models.EmailField("correo electrónico", blank=True)
    phone = models.CharField("teléfono", max_length=40, blank=True)

    class Meta:
        verbose_name = "persona"
        verbose_name_plural = "personas"
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_external(self) -> bool:
        """An outside contact: a requester without an account of the entity."""
        return self.user_id is None


class ActiveOnQuerySet(models.QuerySet):
    def active_on(self, day: dt.date) -> "ActiveOnQuerySet":
        return self.filter(Q(starts_on__lte=day), Q(ends_on__isnull=True) | Q(ends_on__gte=day))


class RoleAssignment(BaseModel):
    """A person holds a role in a unit from one date to another (open-ended when `ends_on` is empty)."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="assignments", verbose_name="persona"
    )
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="assignments", verbose_name="rol")
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="unidad orgánica",
    )
    starts_on = models.DateField("desde")
    ends_on = models.DateField("hasta", null=True, blank=True)

    objects = ActiveOnQuerySet.as_manager()

    class Meta:
        verbose_name = "asignación de rol"
        verbose_name_plural = "asignaciones de rol"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="assignment_ends_after_start",
            )
        ]
        indexes = [models.Index(fields=["role", "person"])]

    def __str__(self) -> str:
        return f"{self.person} — {self.role}"


class Delegation(BaseModel):
    """ "O quien haga sus veces": `delegate` acts in `role` for the dates given (vacation, leave, charge)."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="delegations", verbose_name="rol")
    delegator = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="delegations_given",
        verbose_name="titular (a quien reemplaza)",
    )
    delegate = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="delegations_received",
        verbose_name="encargado (quien hace sus veces)",
    )
    starts_on = models.DateField("desde")
    ends_on = models.DateField("hasta")
    reason = models.CharField("motivo / documento", max_length=200, blank=True)

    objects = ActiveOnQuerySet.as_manager()

    class Meta:
        verbose_name = "encargatura (quien haga sus veces)"
        verbose_name_plural = "encargaturas (quien haga sus veces)"
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_dates")
        ]

    def __str__(self) -> str:
        return f"{self.delegate} hace las veces de {self.role} ({self.starts_on} – {self.ends_on})"
