"""Memory of a server on this machine, read from /proc: the process listening on a port and its tree.

`hogo serve --workers N` is one supervising process and N uvicorn workers it started (spawned, not forked:
they share no pages), so the server's memory is the resident set of the whole tree, parent and children.
"""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
LISTEN = "0A"  # the TCP state of a listening socket in /proc/net/tcp


def listening_pid(port: int) -> int:
    """The process that listens on ``port`` (the parent when its workers share the socket).

    Raises LookupError when no process of this machine that we may inspect listens there."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        path = PROC / "net" / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    holders = set()
    for pid in _pids():
        try:
            if any(os.readlink(fd) in inodes for fd in (PROC / str(pid) / "fd").iterdir()):
                holders.add(pid)
        except OSError:  # gone, or not ours to inspect
            continue
    roots = [pid for pid in holders if _parent(pid) not in holders]
    if not roots:
        raise LookupError(f"no process listening on port {port} can be inspected here (pass --server-pid)")
    return min(roots)


def tree(pid: int) -> list[int]:
    """``pid`` and every process descended from it (uvicorn's workers, their helpers)."""
    children: dict[int, list[int]] = {}
    for other in _pids():
        parent = _parent(other)
        if parent is not None:
            children.setdefault(parent, []).append(other)
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of ``pid`` and its descendants, and how many processes that is (0 when it is gone)."""
    total = count = 0
    for member in tree(pid):
        rss = _rss(member)
        if rss is not None:
            total, count = total + rss, count + 1
    return total, count


def _pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # after the command name, which may hold spaces


def _rss(pid: int) -> int | None:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return 0  # a zombie has no VmRSS line
