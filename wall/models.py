"""The wall's data: participants who own names, and their posts."""

from django.conf import settings
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower

# \A and \Z, not ^ and $: `$` also matches before a final newline, which let "Alice\n" through.
USERNAME_PATTERN = r"\A[A-Za-z0-9_-]+\Z"


class Participant(models.Model):
    """A name claimed on the wall, owned by whoever holds its token (only the hash is stored)."""

    username = models.CharField(
        max_length=settings.WALL_USERNAME_MAX,
        validators=[RegexValidator(USERNAME_PATTERN, "Letters, digits, _ and - only.")],
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Highest post id this participant has seen; only ever moves forward.
    last_read_id = models.BigIntegerField(null=True, blank=True)
    is_banned = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="participant_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username


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

    class Meta:
        ordering = ["-id"]
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
