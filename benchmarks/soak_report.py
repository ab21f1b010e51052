"""What a soak run prints: a row per time window, the requests by kind, and the verdict (errors, memory)."""

from __future__ import annotations

import asyncio
import math
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

MB = 1024 * 1024


@dataclass(frozen=True)
class Result:
    end: float  # seconds since the start of the run, when the response (or the failure) came
    kind: str  # ask, ask/stream, clause, feedback, dialogue, session, bad input
    status: int | None  # None when no response came
    failure: str | None  # timeout, connection, broken stream, unreadable body, unexpected body
    ms: float

    @property
    def outcome(self) -> str:
        """error (5xx, no answer, a broken one), refused (bad input given its 4xx), unexpected, or ok."""
        if self.failure or self.status is None or self.status >= 500:
            return "error"
        if self.kind == "bad input":
            return "refused" if 400 <= self.status < 500 else "unexpected"
        return "ok" if self.status < 400 else "unexpected"

    @property
    def label(self) -> str:
        return self.failure or str(self.status)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))] if ordered else math.nan


def clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def counts(results: list[Result], outcome: str) -> str:
    found = Counter(r.label if outcome == "error" else f"{r.kind} {r.label}" for r in results if r.outcome == outcome)
    return " ".join(f"{label}:{n}" for label, n in sorted(found.items())) or "-"


@dataclass
class Report:
    results: list[Result]
    samples: list[tuple[float, int, int]]  # (seconds, resident bytes of the server's processes, processes)
    window: float
    duration: float
    max_growth_pct: float = 5.0
    elapsed: float = 0.0
    cancelled: int = 0
    reports: Counter = field(default_factory=Counter)
    drafts: int = 0

    @property
    def windows(self) -> int:
        return max(1, math.ceil(self.duration / self.window))

    def index(self, seconds: float) -> int:
        """The window a moment falls in; what ends after the deadline (the drain) counts in the last."""
        return min(int(seconds // self.window), self.windows - 1)

    def rss_at(self, seconds: float) -> float:
        before = [rss for t, rss, _ in self.samples if t <= seconds + 0.5]
        return (before or [self.samples[0][1]])[-1] / MB if self.samples else math.nan

    def header(self) -> str:
        return (f"{'window':>11} {'requests':>8} {'req/s':>6} {'errors':>6} {'bad→4xx':>7} {'unexpected':>10} "
                f"{'p50 ms':>7} {'p95 ms':>7} {'RSS MB':>7}  errors by status")

    def row(self, n: int, last: bool = False) -> str:
        start, end = n * self.window, (self.elapsed if last else (n + 1) * self.window)
        mine = [r for r in self.results if self.index(r.end) == n]
        ms = [r.ms for r in mine]
        errors = [r for r in mine if r.outcome == "error"]
        rss = self.samples[-1][1] / MB if last and self.samples else self.rss_at(end)
        return (f"{clock(start):>5}-{clock(end):<5} {len(mine):>8} {len(mine) / max(end - start, 1e-9):>6.1f} "
                f"{len(errors):>6} {sum(r.outcome == 'refused' for r in mine):>7} "
                f"{sum(r.outcome == 'unexpected' for r in mine):>10} {percentile(ms, 0.5):>7.1f} "
                f"{percentile(ms, 0.95):>7.1f} {rss:>7.1f}  {counts(mine, 'error')}")

    async def print_windows_live(self, now: Callable[[], float]) -> None:
        """Print each window but the last as its end passes (the last one waits for the drain)."""
        print(self.header(), flush=True)
        for n in range(self.windows - 1):
            await asyncio.sleep(max(0.0, (n + 1) * self.window + 0.5 - now()))
            print(self.row(n), flush=True)

    def memory(self) -> tuple[str, bool]:
        """One line on the server's memory after warm-up (the first window), and whether it stayed flat."""
        if not self.samples or self.samples[-1][2] == 0:
            return "memory: the server process was not found at the end", False
        start, end, peak = self.samples[0][1] / MB, self.samples[-1][1] / MB, max(s[1] for s in self.samples) / MB
        processes = self.samples[-1][2]
        head = f"memory (RSS of {processes} server process{'es' if processes > 1 else ''}): start {start:.1f} MB"
        if self.windows < 2:
            return f"{head}, end {end:.1f} MB, peak {peak:.1f} MB; one window only: no trend after warm-up", True
        warm = self.rss_at(self.window)
        growth = end - warm
        later = [(t, rss / MB) for t, rss, _ in self.samples if t >= self.window]
        slope = _slope(later) * 3600
        flat = growth <= self.max_growth_pct / 100 * warm
        return (f"{head}, after warm-up ({clock(self.window)}) {warm:.1f} MB, end {end:.1f} MB, peak {peak:.1f} MB; "
                f"growth {growth:+.1f} MB ({growth / warm * 100:+.1f}%), slope {slope:+.1f} MB/h after warm-up: "
                f"{'flat' if flat else f'GROWING (over {self.max_growth_pct:g}%)'}"), flat

    def print_summary(self) -> bool:
        """The last window, the requests by kind and the verdict; True when it passes."""
        print(self.row(self.windows - 1, last=True))
        print(f"\n{'kind':>11} {'requests':>8} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} {'unexpected':>10}")
        for kind in sorted({r.kind for r in self.results}):
            mine = [r for r in self.results if r.kind == kind]
            print(f"{kind:>11} {len(mine):>8} {percentile([r.ms for r in mine], 0.5):>7.1f} "
                  f"{percentile([r.ms for r in mine], 0.95):>7.1f} {sum(r.outcome == 'error' for r in mine):>6} "
                  f"{sum(r.outcome == 'unexpected' for r in mine):>10}")
        errors = [r for r in self.results if r.outcome == "error"]
        unexpected = [r for r in self.results if r.outcome == "unexpected"]
        bad = [r for r in self.results if r.kind == "bad input"]
        stored = ", ".join(f"{flow} {n}" for flow, n in sorted(self.reports.items())) or "none"
        print(f"\n{len(self.results)} requests in {self.elapsed:.0f} s ({len(self.results) / self.elapsed:.1f}/s); "
              f"reports stored: {sum(self.reports.values())} ({stored}); "
              f"dialogues left as drafts at the deadline: {self.drafts}; cancelled at the hard stop: {self.cancelled}")
        print(f"bad input refused with 4xx: {sum(r.outcome == 'refused' for r in bad)} of {len(bad)} "
              f"({' '.join(f'{s}:{n}' for s, n in sorted(Counter(r.label for r in bad).items())) or '-'})")
        print(f"errors (5xx, connection, timeout): {len(errors)} ({counts(self.results, 'error')})")
        print(f"unexpected responses: {len(unexpected)} ({counts(self.results, 'unexpected')})")
        line, flat = self.memory()
        print(line)
        passed = not errors and not unexpected and not self.cancelled and flat
        print(f"verdict: {'PASS' if passed else 'FAIL'}")
        return passed


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB): MB per second."""
    if len(points) < 2:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0
