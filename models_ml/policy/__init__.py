"""The reminder decision policy: segments and strategies from YAML, decided in DuckDB.

Pure domain code (no Dagster, no Streamlit): `dagster_project` wires it into assets. How it
decides, what it hands over and how to simulate it: README.md beside this file.

    config = load_segments(settings.segments_file)          # or SegmentsConfigError
    decide_actions(con, settings.segments_file, as_of)      # -> reminders.debtor_actions
    export_reminder_run(con, settings.exports_dir, as_of)   # -> reminders.reminder_runs + files
"""

from models_ml.policy.config import SegmentsConfigError, load_segments
from models_ml.policy.decide import decide_actions, decide_with_config, segments_without_debtors
from models_ml.policy.export import export_reminder_run
from models_ml.policy.model import SegmentsConfig
from models_ml.policy.tables import run_id_for

__all__ = [
    "SegmentsConfig",
    "SegmentsConfigError",
    "decide_actions",
    "decide_with_config",
    "export_reminder_run",
    "load_segments",
    "run_id_for",
    "segments_without_debtors",
]
