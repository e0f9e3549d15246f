"""Domain errors. Services raise these with a Spanish message; interfaces map them to responses."""


class ApplicationError(Exception):
    """An expected failure whose message can be shown to the person as it is."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class InvalidInputError(ApplicationError):
    """Bad input; `field_errors` maps each field to its messages. Nothing was written."""

    def __init__(self, field_errors: dict[str, list[str]], message: str = "Datos inválidos.") -> None:
        super().__init__(message, extra={"field_errors": field_errors})
        self.field_errors = field_errors


class NotAllowedError(ApplicationError):
    status_code = 403


class NotFoundError(ApplicationError):
    status_code = 404


class ConflictError(ApplicationError):
    """The thing changed under the person's feet (a task completed by someone else meanwhile)."""

    status_code = 409
