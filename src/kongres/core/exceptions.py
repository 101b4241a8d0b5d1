from django.utils.functional import Promise


class KongresError(Exception):
    """A domain error: a translated message for people and a stable code for machines."""

    code = "error"

    def __init__(self, message: str | Promise, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code
