"""`mapro procedures list|show|validate|export …`: the procedure catalogue from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mapro.catalogue.definition import Definition, load_catalogue
from mapro.catalogue.definition.validation import procedure_calls
from mapro.catalogue.selectors import ProcedureNotFoundError, catalogue_from_repository, procedure_get

# The names of mapro.catalogue.export.FORMATS, repeated so the parser does not import the exporters.
EXPORT_FORMATS = ("bpmn", "svg", "pdf", "docx")


class Command(BaseCommand):
    help = "Catálogo de procedimientos: listar, mostrar, validar y exportar fichas."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="Lista los procedimientos (código, entidad, nombre, actividades).")

        show = sub.add_parser("show", help="Muestra la ficha de un procedimiento.")
        show.add_argument("code")

        validate = sub.add_parser(
            "validate", help="Valida archivos de definición (por defecto, todo el catálogo)."
        )
        validate.add_argument("paths", nargs="*", type=Path)

        export = sub.add_parser(
            "export", help="Exporta un procedimiento: modelo BPMN, diagrama SVG o ficha en PDF o DOCX."
        )
        export.add_argument("code")
        export.add_argument("--format", dest="fmt", required=True, choices=EXPORT_FORMATS)
        export.add_argument(
            "--notas-de-modelado",
            dest="annex",
            action="store_true",
            help="Añade a la ficha (PDF, DOCX) el anexo «Notas de modelado»: inconsistencias, notas y "
            "supuestos del análisis. Por defecto no se incluye.",
        )
        export.add_argument(
            "-o",
            "--output",
            type=Path,
            help="Archivo de salida (por defecto, <código>.<extensión> en el directorio actual).",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_list(self, **options: Any) -> None:
        catalogue = self._repository_catalogue()
        rows = sorted(catalogue.definitions.values(), key=lambda d: (d.definition.entity, d.definition.code))
        for loaded in rows:
            d = loaded.definition
            self.stdout.write(f"{d.code:<28} {d.entity:<9} {len(d.activities):>3}  {d.name}")
        self.stdout.write(f"{len(rows)} procedimientos")

    def handle_show(self, *, code: str, **options: Any) -> None:
        self._repository_catalogue()
        try:
            d = procedure_get(code=code).definition
        except ProcedureNotFoundError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(render_ficha_text(d))

    def handle_validate(self, *, paths: list[Path], **options: Any) -> None:
        targets = paths or [Path(settings.PROCEDURES_DIR)]
        missing = [p for p in targets if not p.exists()]
        if missing:
            raise CommandError(f"No existe: {', '.join(map(str, missing))}")
        # Files given alone are checked against the rest of the repository: calls to it, cycles through it.
        repository = {} if not paths else catalogue_from_repository().definitions
        known_calls = {code: procedure_calls(item.definition) for code, item in repository.items()}
        catalogue = load_catalogue(
            targets,
            known_codes=set(repository),
            known_calls=known_calls,
            known_definitions={code: item.definition for code, item in repository.items()},
        )
        for error in catalogue.errors:
            self.stderr.write(str(error))
        count = len(catalogue.definitions)
        if catalogue.errors:
            raise CommandError(f"{len(catalogue.errors)} errores; {count} definiciones válidas")
        self.stdout.write(
            f"OK: {count} definiciones válidas, {len(catalogue.process_maps)} mapas de procesos"
        )

    def handle_export(
        self, *, code: str, fmt: str, output: Path | None, annex: bool = False, **options: Any
    ) -> None:
        self._repository_catalogue()
        try:
            definition = procedure_get(code=code).definition
        except ProcedureNotFoundError as exc:
            raise CommandError(exc.message) from None
        # Imported here: WeasyPrint alone takes over a second to import, and list/validate never need it.
        from mapro.catalogue.export import export_filename, export_procedure

        path = output or Path(export_filename(definition, fmt))
        data = export_procedure(definition, fmt, annex=annex)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"No se pudo escribir {path}: {exc.strerror}") from None
        self.stdout.write(str(path))

    def _repository_catalogue(self):
        catalogue = catalogue_from_repository()
        if catalogue.errors:
            for error in catalogue.errors:
                self.stderr.write(str(error))
            raise CommandError("El catálogo tiene errores: corrija los archivos indicados.")
        return catalogue


def render_ficha_text(d: Definition) -> str:
    lines = [
        f"{d.code} — {d.name}",
        f"Entidad: {d.entity}   Versión: {d.version}   Estado: {d.status}",
        f"Dueño: {d.owner}",
        f"Objetivo: {d.objective}",
        "",
        "Actividades:",
    ]
    for a in d.activities:
        who = " / ".join(d.role(r).name for r in a.performer_roles)
        how = " (cada uno)" if a.co_roles and a.completion == "each" else ""
        lines.append(f"  {a.n:>3}. [{a.kind}] {a.name} — {who}{how}")
        if a.decision is not None:
            lines.append(f"       {a.decision.question}")
            lines.extend(f"         {b.label} → {_targets(b.goto)}" for b in a.decision.branches)
        if a.join:
            lines.append(f"       espera a: {_targets(a.join)}")
        if a.parallel:
            lines.append(f"       → {_targets(a.parallel)}")
    if d.time_rules:
        lines.append("")
        lines.append("Plazos:")
        lines.extend(f"  - {t.text}" for t in d.time_rules)
    if d.indicators:
        lines.append("")
        lines.append("Indicadores:")
        lines.extend(f"  - {i.name}: {i.formula} (meta {i.target})" for i in d.indicators)
    return "\n".join(lines)


def _targets(ref: object) -> str:
    """'4 ∥ 10' for activities that start at once; a single target as it is."""
    return " ∥ ".join(str(n) for n in ref) if isinstance(ref, list) else str(ref)
