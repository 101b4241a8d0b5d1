"""A model instance as the JSON object of the row its INSERT would write, for SQL that builds
the row itself with ``jsonb_populate_record`` (the registration function of
``registration/migrations/0012``)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any

from django.db import models


def row_json(obj: models.Model) -> str:
    """``obj``'s columns as a JSON object (``{column: value}``), the auto primary key left out.

    Each value is what the field saves: ``Field.pre_save(obj, add=True)`` sets the
    ``auto_now``/``auto_now_add`` times as ``save()`` would. Dates and times are written in ISO
    8601 with their microseconds and offset, a JSON field's value as JSON."""
    row = {}
    for field in obj._meta.get_fields():
        if not getattr(field, "concrete", False) or field.many_to_many:
            continue  # a relation from another model, a many-to-many table
        if field.primary_key and isinstance(field, models.AutoField):
            continue
        row[field.column] = field.pre_save(obj, add=True)
    return json.dumps(row, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form for a row")
