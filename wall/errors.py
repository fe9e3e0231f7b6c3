"""The one exception the wall's domain code raises: an error the client is told about."""


class WallError(Exception):
    """A refusal with a protocol error code; becomes an `error` event (or an HTTP reason)."""

    def __init__(self, code: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra
