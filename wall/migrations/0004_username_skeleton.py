"""Names in any script (issue 15): each participant gets its name's confusable skeleton, unique.

The data step computes the skeleton of every existing name and reports names that are the same
under the new rules ("Bob1", "Bobl" and "BobI" are one name now). The earliest holder keeps the
plain skeleton; a later one keeps its name with its skeleton marked by its id ("bobl#7": "#" is in
no name, so no new name can ever match it), and moderators can rename it from the admin.
"""

import logging

import wall.models
from django.db import migrations, models

from wall import names

logger = logging.getLogger("wall.migrations")


def backfill_skeletons(apps, schema_editor):
    """Sets username_skeleton on every participant; returns the collisions as
    {skeleton: [username, ...]} (earliest first), and logs each one."""
    Participant = apps.get_model("wall", "Participant")
    holders: dict[str, list[str]] = {}
    for participant in Participant.objects.order_by("pk").only("pk", "username"):
        skeleton = names.skeleton(participant.username)
        holders.setdefault(skeleton, []).append(participant.username)
        if len(holders[skeleton]) > 1:
            skeleton = f"{skeleton}#{participant.pk}"[: wall.models.SKELETON_MAX]
        Participant.objects.filter(pk=participant.pk).update(username_skeleton=skeleton)
    collisions = {skeleton: held for skeleton, held in holders.items() if len(held) > 1}
    for skeleton, held in collisions.items():
        logger.warning(
            "names that are one name now (skeleton %r): %s; %s keeps it", skeleton, ", ".join(held), held[0]
        )
    logger.info("skeletons for %d names, %d collisions", sum(map(len, holders.values())), len(collisions))
    return collisions


class Migration(migrations.Migration):
    dependencies = [
        ("wall", "0003_username_whole_match"),
    ]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="username_skeleton",
            field=models.CharField(editable=False, max_length=128, null=True),
        ),
        migrations.RunPython(backfill_skeletons, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="participant",
            name="username_skeleton",
            field=models.CharField(editable=False, max_length=128, unique=True),
        ),
        migrations.RemoveConstraint(
            model_name="participant",
            name="participant_username_ci_unique",
        ),
        migrations.AlterField(
            model_name="participant",
            name="username",
            field=models.CharField(max_length=32, validators=[wall.models.validate_username]),
        ),
    ]
