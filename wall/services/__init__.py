"""Writes, for the socket and the admin alike: each validates like the admin (full_clean) and
broadcasts only after its transaction commits (wall.live.bridge). One module per entity."""

from .devices import (
    DeviceCodeGrant,
    device_code_create,
    device_code_redeem,
    device_sign_out,
    recovery_code_create,
)
from .edits import post_delete_own, post_edit
from .participants import (
    Claim,
    hash_token,
    participant_by_token,
    participant_claim,
    participant_claim_random,
    participant_lock,
    participant_touch,
    username_answer,
    username_available,
    username_problem,
)
from .posts import PostResult, clean_content, is_blank, post_create, read_pointer_advance
from .reactions import clean_emoji, reaction_set, reactions_recount
from .renames import Renamed, name_release, participant_rename
from .uploads import image_upload, uploader_by_token

__all__ = [
    "Claim",
    "DeviceCodeGrant",
    "PostResult",
    "Renamed",
    "clean_content",
    "clean_emoji",
    "device_code_create",
    "device_code_redeem",
    "device_sign_out",
    "hash_token",
    "image_upload",
    "is_blank",
    "name_release",
    "participant_by_token",
    "participant_claim",
    "participant_claim_random",
    "participant_lock",
    "participant_rename",
    "participant_touch",
    "post_create",
    "post_delete_own",
    "post_edit",
    "reaction_set",
    "reactions_recount",
    "read_pointer_advance",
    "recovery_code_create",
    "uploader_by_token",
    "username_answer",
    "username_available",
    "username_problem",
]
