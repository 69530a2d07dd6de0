"""This process's memory as the kernel counts it (Linux's /proc/self/status), for the benchmarks."""

from __future__ import annotations


def status_kib(field: str) -> int | None:
    """A /proc/self/status field in KiB (``VmRSS`` now, ``VmHWM`` the peak), or None where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
