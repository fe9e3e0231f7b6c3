"""The one exception the wall's domain code raises: an error the client is told about, by code."""


class WallError(Exception):
    """A refusal with a protocol error code; becomes an `error` event, or an HTTP answer whose
    status the view picks by code (wall.views.http_status)."""

    def __init__(self, code: str, message: str, **extra: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


def banned() -> WallError:
    """A participant a moderator banned, wherever that is checked (join, post, upload, the ban itself)."""
    return WallError("banned", "A moderator banned this name from the wall.")


def name_removed() -> WallError:
    """A participant that no longer exists (a moderator deleted it) tried to post or upload."""
    return WallError("invalid_token", "This name was removed; choose a name again.")


def no_such_token() -> WallError:
    """A token that owns no name."""
    return WallError("invalid_token", "This token owns no name; choose a name again.")


def no_such_post(post_id: int) -> WallError:
    """A post id that names no visible post (missing, hidden or deleted): for edit, delete and reply."""
    return WallError("no_such_post", f"There is no post {post_id} on the wall.")
