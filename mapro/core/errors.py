"""Domain errors. Services raise these with a Spanish message; interfaces map them to responses."""


class ApplicationError(Exception):
    """An expected failure whose message can be shown to the person as it is."""

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
