"""The wall's data: participants who own names, and their posts."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone

from . import names

# Room for a skeleton longer than its name (TS #39 maps some letters to two, as "m" to "rn").
SKELETON_MAX = 128


def validate_username(value: str) -> None:
    """The model's check of a name, the same rules as the socket's (wall.names.name_problem)."""
    if names.normalize(value) != value:
        raise ValidationError("A name has no space before or after it, and is in NFC form.")
    problem = names.name_problem(value)
    if problem:
        raise ValidationError(problem.reason)


class Participant(models.Model):
    """A name claimed on the wall, owned by whoever holds its token (only the hash is stored)."""

    username = models.CharField(max_length=settings.WALL_USERNAME_MAX, validators=[validate_username])
    # Its confusable skeleton (wall.names.skeleton), kept by save(): one holder per skeleton, so
    # "Bob", "BOB" and "Bob" in Cyrillic letters are one name.
    username_skeleton = models.CharField(max_length=SKELETON_MAX, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Highest post id this participant has seen; only ever moves forward.
    last_read_id = models.BigIntegerField(null=True, blank=True)
    is_banned = models.BooleanField(default=False)
    # A timed ban ends by itself at this time; None with is_banned is for good (wall.moderation.ban_of).
    banned_until = models.DateTimeField(null=True, blank=True)
    ban_reason = models.CharField(max_length=200, blank=True)
    # With WALL_PREMODERATION, a trusted participant's posts skip the held queue.
    is_trusted = models.BooleanField(default=False)

    # The hash of the code to write down that brings the name to a new device (wall.services.devices).
    recovery_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return self.username

    def save(self, *args, **kwargs) -> None:
        """Saves with the skeleton of the current name, whoever changed it (services, the admin)."""
        self.username_skeleton = names.skeleton(self.username)
        if kwargs.get("update_fields") is not None and "username" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "username_skeleton"}
        super().save(*args, **kwargs)

    @property
    def ban_in_force(self) -> bool:
        """Banned now: for good, or until a time still to come (a timed ban ends by itself)."""
        return self.is_banned and (self.banned_until is None or self.banned_until > timezone.now())


class NameReservation(models.Model):
    """A name someone renamed away from, kept from everyone else until `until` (so nobody takes it
    to pass for them); its old holder may take it back. Moderators release one by deleting it."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reservations")
    username = models.CharField(max_length=settings.WALL_USERNAME_MAX)
    username_skeleton = models.CharField(max_length=SKELETON_MAX, db_index=True)
    until = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.username} (kept until {self.until:%Y-%m-%d %H:%M})"


class DeviceToken(models.Model):
    """A further device's own token for the same participant (the first device's is on Participant);
    only the hash is stored. Made when a device code or the recovery code is redeemed."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="device_tokens")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"a device of {self.participant_id}"


class DeviceCode(models.Model):
    """A short code that gives a participant's name to another device: once, within its expiry."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="device_codes")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"a device code of {self.participant_id}"


class Post(models.Model):
    """One post on the wall. Hidden posts stay in the database but leave history and live views."""

    # Indexed by post_author_created_idx (author, created_at), whose prefix serves author lookups.
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="posts", db_index=False)
    content = models.TextField(blank=True, validators=[MaxLengthValidator(settings.WALL_CONTENT_MAX)])
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # The sender's nonce, so a resent post is recognised instead of saved twice.
    client_id = models.CharField(max_length=64, null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    # Bumped (under the post's row lock) with every change to its reaction counts, so a page keeps the
    # newest summary whatever order events arrive in; the time lets a resume find what changed.
    reactions_rev = models.PositiveIntegerField(default=0, editable=False)
    reactions_changed_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    # The author took it back (`delete`): hidden like a moderator's hide, but kept and marked for moderators.
    deleted_by_author = models.BooleanField(default=False)
    # Set when its author last changed the text; earlier versions are PostRevision rows.
    edited_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The post this one answers. No database constraint and DO_NOTHING: a reply keeps the id of an
    # original a moderator deleted for good, and shows it as "a removed post" (wall.selectors).
    reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="replies",
    )
    # Who hid it and why, shown to moderators on the page (greyed) and in the admin.
    hidden_by = models.CharField(max_length=150, blank=True)
    hidden_reason = models.CharField(max_length=200, blank=True)
    # When a moderator last decided on it (hid or showed it): reports before then are settled, and
    # readers' reports no longer hide it by themselves (wall.reports).
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # With WALL_PREMODERATION: saved hidden (is_hidden too, so every reader's query leaves it out)
    # until a moderator approves it (wall.premoderation).
    is_held = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]
        # Granted through groups in the admin: moderating from the wall's own page (wall.moderation).
        permissions = [("moderate_post", "Can moderate posts on the wall's page")]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="post_author_client_id_unique",
            ),
        ]
        indexes = [
            # History pages read visible posts by id; a partial index keeps connect time flat.
            models.Index(fields=["id"], condition=models.Q(is_hidden=False), name="post_visible_id_idx"),
            # The same-text limit counts an author's recent posts: without created_at in the index
            # that count read every post the author ever made (bench/README.md, "The post's road").
            models.Index(fields=["author", "created_at"], name="post_author_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.author}: {self.content[:40]}"


class PostRevision(models.Model):
    """An earlier text of an edited post, kept for moderators (the admin shows them on the post's page)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    content = models.TextField(blank=True)
    # When this text was written: the post's created_at, or the edit that brought it.
    written_at = models.DateTimeField()
    # When an edit replaced it.
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post", "id"]

    def __str__(self) -> str:
        return f"#{self.post_id} as of {self.written_at:%Y-%m-%d %H:%M:%S}"


class Image(models.Model):
    """An uploaded picture, re-encoded without metadata, with its thumbnail (wall/images.py).

    Its uploader may put it in one post, once; uploads never posted are removed by `wall_cleanup`.
    """

    uploader = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="images")
    post = models.OneToOneField(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="image")
    file = models.FileField(upload_to="images/%Y/%m/", max_length=200)
    thumbnail = models.FileField(upload_to="images/%Y/%m/", max_length=200)
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    thumbnail_width = models.PositiveIntegerField()
    thumbnail_height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"image #{self.pk} ({self.width}x{self.height}) by {self.uploader_id}"


class Report(models.Model):
    """A reader's report of a post: one per participant per post (wall.reports)."""

    REASONS = [("spam", "spam"), ("abuse", "abuse"), ("other", "other")]

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=10, choices=REASONS)
    text = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["post", "reporter"], name="report_one_per_person")]

    def __str__(self) -> str:
        return f"{self.reporter} reported #{self.post_id}: {self.reason}"


class ReportedPost(Post):
    """The admin's "Reported" queue: posts with reports, the most reported first (wall.admin)."""

    class Meta:
        proxy = True
        verbose_name = "reported post"


class WordRule(models.Model):
    """A blocked word or pattern, and what a post that matches gets (wall.wordfilter)."""

    WORD, PATTERN = "word", "pattern"
    REFUSE, HOLD, MASK = "refuse", "hold", "mask"

    pattern = models.CharField(
        max_length=200,
        help_text="A word or phrase (found anywhere, ignoring case and look-alike letters), or a "
        "pattern in the `regex` library's syntax, matched against the same folded text.",
    )
    kind = models.CharField(
        max_length=10, choices=[(WORD, "word or phrase"), (PATTERN, "pattern")], default=WORD
    )
    action = models.CharField(
        max_length=10,
        choices=[
            (REFUSE, "refuse the post (the author is told the reason)"),
            (HOLD, "hold the post for a moderator"),
            (MASK, "mask the match with *"),
        ],
        default=REFUSE,
    )
    reason = models.CharField(max_length=200, blank=True, help_text="Shown to the author of a refused post.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.pattern} ({self.action})"

    def clean(self) -> None:
        from .wordfilter import check_pattern  # the check lives with the matching

        if self.kind == self.PATTERN:
            try:
                check_pattern(self.pattern)
            except ValidationError as error:
                raise ValidationError({"pattern": error.messages}) from None


class ModerationAction(models.Model):
    """The audit trail: one row per moderation action on one post or participant, from the page,
    the admin or the wall itself (a report threshold). Targets are kept as plain values, so the row
    outlives a deleted post or participant."""

    ACTIONS = [
        ("hide", "hide"),
        ("unhide", "unhide"),
        ("edit", "edit post"),
        ("dismiss", "dismiss reports"),
        ("approve", "approve held post"),
        ("trust", "trust"),
        ("untrust", "stop trusting"),
        ("delete", "delete post"),
        ("ban", "ban"),
        ("unban", "unban"),
        ("remove", "delete participant"),
    ]
    SOURCES = [("page", "the wall's page"), ("admin", "the admin"), ("wall", "the wall itself")]

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderator_name = models.CharField(max_length=150, blank=True)
    source = models.CharField(max_length=10, choices=SOURCES)
    action = models.CharField(max_length=10, choices=ACTIONS)
    post_id = models.BigIntegerField(null=True, blank=True)
    participant_id = models.BigIntegerField(null=True, blank=True)
    target = models.CharField(max_length=200)
    reason = models.CharField(max_length=200, blank=True)
    until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.moderator_name or 'the wall'}: {self.action} {self.target}"


class Reaction(models.Model):
    """One participant's emoji on one post; at most one of each emoji per person (a constraint)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reactions")
    emoji = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "participant", "emoji"], name="reaction_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.participant_id} on #{self.post_id}"
