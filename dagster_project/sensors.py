"""A sensor that starts the main job when a new or changed file lands in the landing folder."""

import hashlib

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from dagster_project.connectors.sources import SOURCES, landing_files
from dagster_project.contract import TABLES
from dagster_project.settings import get_settings


def landing_fingerprint() -> tuple[int, str]:
    """Number of landing files and a digest of their names, sizes and modification times."""
    landing_dir = get_settings().landing_dir
    paths = {path for table in TABLES for path in landing_dir.glob(table.landing_glob)}
    for source in SOURCES:
        paths.update(landing_files(source, landing_dir))
    digest = hashlib.sha256()
    for path in sorted(paths):
        stat = path.stat()
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return len(paths), digest.hexdigest()


@sensor(
    job_name="main_job",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
)
def landing_files_sensor(context: SensorEvaluationContext) -> RunRequest | SkipReason:
    """Files already loaded are skipped by their content hash, so a spurious run is harmless."""
    count, fingerprint = landing_fingerprint()
    if fingerprint == context.cursor:
        return SkipReason(f"no new landing files ({count} seen)")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint, tags={"landing_files": str(count)})
