"""The benchmark behind `make bench`: the demo group at several sizes, stage by stage.

Each stage of the main job runs in its own process (`stage.py`), measured from outside for
wall time and the peak memory of its whole process tree (`measure.py`); the aging is checked
against one hand-written DuckDB query (`reference.py`); a ~1% daily delivery is written into
the landing folder and the job re-run (`delta.py`); `report.py` writes report.md and .json.
"""
