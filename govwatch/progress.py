"""Progress of long work (crawls, scans, probes, exports) as a person watching it needs it.

On a terminal: a live line drawn by tqdm (done / total, the current target, the rate and the time
left). Otherwise (a pipe, a log file, the scheduler): one plain line per finished unit, so that a
log shows how far a run got. Everything goes to stderr; stdout stays for results.
"""
from __future__ import annotations

import sys
import time

BAR_FORMAT = "{desc}：{n_fmt}/{total_fmt} {bar} {percentage:3.0f}% [{elapsed} 已用，约剩 {remaining}，{rate_fmt}] {postfix}"
COUNTER_FORMAT = "{desc}：{n_fmt} {unit} [{elapsed} 已用，{rate_fmt}] {postfix}"


def _clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60:02d}:{seconds % 60:02d}"


class Progress:
    """``with Progress(total, "采集账号", unit="个") as p: p.step("示范发布")`` after each unit.

    ``total`` may be None (a counter: pages of a crawl). ``tty`` overrides the terminal check."""

    def __init__(self, total: int | None, what: str, unit: str = "个", stream=None, tty: bool | None = None):
        self.stream = stream or sys.stderr
        self.total, self.what, self.unit = total, what, unit
        self.done = 0
        self.started = time.monotonic()
        self.tty = self.stream.isatty() if tty is None else tty
        self.bar = None
        if self.tty:
            import shutil

            from tqdm import tqdm

            # a terminal that reports no size (a serial console, some multiplexers) gets 100 columns
            sized = shutil.get_terminal_size((0, 0)).columns > 0
            self.bar = tqdm(total=total, desc=what, unit=unit, file=self.stream, dynamic_ncols=sized,
                            ncols=None if sized else 100, leave=True,
                            bar_format=BAR_FORMAT if total else COUNTER_FORMAT, mininterval=0.5)

    def step(self, current: str = "", n: int = 1, line: bool = True) -> None:
        """One unit done (``current`` names it). ``line=False``: count it on the terminal only
        (pages of a crawl), not as a line of the log."""
        self.done += n
        if self.bar is not None:
            if current:
                self.bar.set_postfix_str(f"当前：{current}", refresh=False)
            self.bar.update(n)
            return
        if not line:
            return
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        where = f"{self.done}/{self.total}" if self.total else f"{self.done}"
        timing = ""
        if elapsed >= 1 and rate > 0:  # a rate over the first instant says nothing
            timing = f"（每分钟 {rate * 60:.1f} {self.unit}"
            if self.total:
                timing += f"，约剩 {_clock((self.total - self.done) / rate)}"
            timing += "）"
        name = f"：{current}" if current else ""
        print(f"{self.what} {where}{name}{timing}", file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """A line that must not be torn by the live bar (a warning, a failure)."""
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
