"""The tenant's outbox for the national feed ("完整采集、实时报送").

Database triggers (migration 0002) write a row here in the same transaction as every evaluation (each
revision), every exclusion by appeal (or its reversal) and every case event, and NOTIFY the relay; the relay
(platform/control_plane/feed.py) moves the rows into the public feed and deletes them in one transaction.
The insight drain adds a `day` row for every day whose rollups changed: the tenant's own figures for that
day travel in the feed too (the national rollups and the reconciliation read them).
"""

from django.db import models


class FeedKind(models.TextChoices):
    EVALUATION = "evaluation"
    EXCLUSION = "exclusion"
    CASE = "case"
    DAY = "day"


class FeedOutbox(models.Model):
    kind = models.CharField(max_length=12, choices=FeedKind.choices)
    ref_id = models.BigIntegerField()  # the evaluation or case id; for `day`, the date's ordinal
    revision = models.BigIntegerField()  # evaluation revision, case event seq, exclusion state, day version
    at = models.DateTimeField(db_default=models.functions.Now())

    def __str__(self) -> str:
        return f"{self.kind} {self.ref_id} r{self.revision}"
