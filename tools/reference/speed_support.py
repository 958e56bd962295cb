"""What the speed scripts (torch_speed.py, side_by_side.py, small_side_by_side.py) share: running a
command, naming the commit and the machine's load, checking their arguments and writing a report that
never replaces another."""

from __future__ import annotations

import datetime
import os
import subprocess


def run(cmd: list[str]) -> str:
    """The command's stdout; a failure stops the script with the command and the end of its stderr."""
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{tail}")
    return done.stdout


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def parse_names(text: str, known, what: str) -> list[str]:
    """Comma-separated names, each one of `known` (an error naming the known ones otherwise)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise SystemExit(f"unknown or no {what} {unknown or repr(text)}; known: {', '.join(known)}")
    return names


def check_report_and_bench(out: str, bench: str) -> None:
    """Before anything runs: the report must be new and bench built."""
    if os.path.exists(out):
        raise SystemExit(f"{out} exists; choose a new name (reports are never overwritten)")
    if not os.access(bench, os.X_OK):
        raise SystemExit(f"{bench} is not an executable; run `swift build -c release` first or pass --bench")


def write_new_report(path: str, text: str) -> None:
    """Writes under a temporary name and then links into place (which fails rather than overwrite), so an
    interrupted run leaves no half report and an earlier report is never replaced."""
    partial = path + ".partial"
    with open(partial, "x") as f:
        f.write(text)
    try:
        os.link(partial, path)
    finally:
        os.unlink(partial)


def moment() -> dict:
    """Now (UTC) and the 1-minute load average, for a report's header."""
    return {"utc": datetime.datetime.now(datetime.timezone.utc), "load": os.getloadavg()[0]}


def span(start: dict, end: dict) -> str:
    return (f"{start['utc']:%Y-%m-%d %H:%M} to {end['utc']:%H:%M} UTC (load average {start['load']:.1f} at the start, "
            f"{end['load']:.1f} at the end, {os.cpu_count()} cores)")


def busy_warning(loads: list[float]) -> list[str]:
    """A paragraph for a report during which a load average (taken at its start, end and between models)
    was above the core count, or nothing."""
    if max(loads) <= os.cpu_count():
        return []
    return [f"**Busy machine**: load averages up to {max(loads):.1f} on {os.cpu_count()} cores. PyTorch's OpenMP",
            "threads then wait for time slices at every parallel region, so its small steps can take 100x longer",
            "(seen here: EDSNet at small width, one video, 2.4 ms with 1 thread or OMP_WAIT_POLICY=PASSIVE against",
            "300-450 ms with 2 threads); take the numbers to compare on a quiet machine.", ""]
