"""Where the public sample files live (../shared/samples beside the repository)."""

from __future__ import annotations

from pathlib import Path

from dagster_project.settings import REPO_ROOT

SAMPLES = REPO_ROOT.parent / "shared" / "samples"
CAMT = SAMPLES / "bank" / "camt"
MT940 = SAMPLES / "bank" / "mt940"
PSP = SAMPLES / "psp"
ERP = SAMPLES / "erp"

BUCKAROO_SECRET = "7C222FB2927D828AF22F592134E8932480637C0D"
ADYEN_HMAC_KEY = "74F490DD33F7327BAECC88B2947C011FC02D014A473AAA33A8EC93E4DC069174"


def sample_files(folder: Path, *suffixes: str) -> list[Path]:
    """Every sample file under a folder (licences and READMEs left out)."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not path.name.upper().startswith(("LICENSE", "README", "COPYRIGHT"))
        and (not suffixes or path.suffix in suffixes)
    )
