"""Keras 3's progress bar: a live redrawn line on a terminal, one clean line per epoch
otherwise (logs, CI), no colour codes off a terminal or when ``NO_COLOR`` is set."""
import math
import os
import re
import sys
import time

from .misc import is_interactive_logging_enabled, print_msg

_ESC = re.compile(r"\x1b\[[0-9;]*m")


def _visible(text):
    return len(_ESC.sub("", text))


def _is_tty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _in_notebook():
    return "ipykernel" in sys.modules


def format_time(seconds):
    """``5s``, ``2:05`` or ``1:02:05`` like Keras."""
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}:{(seconds % 3600) // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def format_per_step(seconds, unit="step"):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def format_value(v):
    v = float(v)
    return f"{v:.4f}" if abs(v) > 1e-3 or v == 0 or math.isnan(v) else f"{v:.4e}"


class Progbar:
    """Prints progress of ``target`` steps: ``update(current, values)``.

    ``verbose=1`` draws a bar (redrawn in place only on a terminal or notebook, otherwise
    printed once when finished); ``verbose=2`` prints only the final line.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step", stream=None):
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stream = stream if stream is not None else sys.stdout
        self.dynamic = _is_tty(self.stream) or _in_notebook()
        self.color = self.dynamic and not os.environ.get("NO_COLOR")
        self._start = time.time()
        self._last_update = 0.0
        self._prev_len = 0
        self._values = {}
        self._seen = 0

    def _c(self, code, text):
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def _bar(self, current):
        if self.target is None:
            return ""
        frac = min(current / self.target, 1.0) if self.target else 1.0
        filled = int(self.width * frac)
        done = "\u2501" * filled
        rest = "\u2501" * (self.width - filled)
        if self.color:
            return self._c("32", done) + self._c("37", rest) if rest else self._c("32", done)
        return done + (" " * len(rest) if not self.dynamic else rest)

    def _line(self, current, finalize):
        now = time.time()
        elapsed = now - self._start
        per = elapsed / current if current else 0.0
        total = f"{current}/{self.target}" if self.target is not None else f"{current}/Unknown"
        if self.verbose == 2:
            parts = [total, format_time(elapsed), format_per_step(per, self.unit_name)]
            line = " - ".join(parts)
        else:
            if finalize or self.target is None:
                when = format_time(elapsed)
            else:
                when = format_time(per * (self.target - current))
            bar = self._bar(current)
            line = f"{self._c('1', total)} {bar} {self._c('1', when)} " \
                   f"{format_per_step(per, self.unit_name)}" if bar else \
                   f"{self._c('1', total)} {self._c('1', when)} " \
                   f"{format_per_step(per, self.unit_name)}"
        for k in sorted(self._values):
            line += f" - {k}: {format_value(self._values[k])}"
        return line

    def due(self, current):
        """Whether ``update(current)`` would redraw now (first step, or interval passed)."""
        return current == 1 or time.time() - self._last_update >= self.interval

    def update(self, current, values=None, finalize=None):
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if values:
            self._values.update(values)
        self._seen = current
        if not self.verbose:
            return
        if not is_interactive_logging_enabled():  # keras.utils.disable_interactive_logging
            if finalize:
                print_msg(self._line(current, True))
            return
        now = time.time()
        if self.verbose == 1 and self.dynamic and not finalize:
            if now - self._last_update < self.interval and current != 1:
                return
            line = self._line(current, False)
            pad = max(0, self._prev_len - _visible(line))
            self.stream.write("\r" + line + " " * pad)
            self._prev_len = _visible(line)
            self.stream.flush()
            self._last_update = now
            return
        if finalize:
            line = self._line(current, True)
            if self.dynamic and self.verbose == 1:
                pad = max(0, self._prev_len - _visible(line))
                self.stream.write("\r" + line + " " * pad + "\n")
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def add(self, n, values=None):
        self.update(self._seen + n, values)
