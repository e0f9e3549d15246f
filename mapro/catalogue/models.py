"""Procedure versions as loaded into the database: immutable, so a case keeps the version it started with."""

from django.db import models

from mapro.core.models import BaseModel


class ProcedureVersion(BaseModel):
    """One loaded revision of a definition file; a changed file loads as a new revision, never an edit."""

    code = models.CharField("código", max_length=80, db_index=True)
    entity = models.ForeignKey(
        "organization.Entity", on_delete=models.PROTECT, related_name="procedures", verbose_name="entidad"
    )
    name = models.CharField("nombre", max_length=300)
    version = models.CharField("versión de la ficha", max_length=20)
    revision = models.PositiveIntegerField("revisión cargada")
    source_path = models.CharField(max_length=300, verbose_name="archivo de la ficha")
    source_sha256 = models.CharField(max_length=64, verbose_name="SHA-256 del archivo")
    source_text = models.TextField("archivo de definición")
    definition = models.JSONField(verbose_name="definición")
    bpmn_xml = models.TextField(verbose_name="BPMN (XML)")
    is_current = models.BooleanField(default=True, verbose_name="versión vigente")

    class Meta:
        verbose_name = "versión de procedimiento"
        verbose_name_plural = "versiones de procedimientos"
        constraints = [
            models.UniqueConstraint(fields=["code", "revision"], name="procedure_revision_unique"),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(is_current=True), name="one_current_version_per_code"
            ),
        ]
        ordering = ["code", "-revision"]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} (rev. {self.revision})"
