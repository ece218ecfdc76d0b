"""The training history: analyzed sets in a local SQLite database, progress per side, left vs right.

from formcheck.history import save_set, load_sets
save_set(None, result.data, athlete="sam")        # None: the default database
"""

from formcheck.history.cliptime import clip_time, mp4_creation_time
from formcheck.history.db import ENV_HISTORY, SCHEMA_VERSION, default_history_path, open_history
from formcheck.history.sets import DEFAULT_ATHLETE, RepRecord, SavedSet, SetRecord, athletes, load_sets, save_set

__all__ = [
    "clip_time",
    "mp4_creation_time",
    "ENV_HISTORY",
    "SCHEMA_VERSION",
    "default_history_path",
    "open_history",
    "DEFAULT_ATHLETE",
    "RepRecord",
    "SavedSet",
    "SetRecord",
    "athletes",
    "load_sets",
    "save_set",
]
