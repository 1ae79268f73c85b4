"""Progress of a long generation, shown on the command's stderr."""


class Progress:
    """A plain-text progress bar on a stream: redrawn in place on a terminal, one line per tenth otherwise."""

    WIDTH = 30

    def __init__(self, stream, label, total):
        self.stream, self.label, self.total = stream, label, max(total, 1)
        self.done = 0
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.shown = -1

    def advance(self, count=1):
        self.done = min(self.total, self.done + count)
        tenth = 10 * self.done // self.total
        if self.tty or tenth != self.shown:
            self.shown = tenth
            filled = self.WIDTH * self.done // self.total
            bar = "#" * filled + "." * (self.WIDTH - filled)
            line = f"{self.label:<11} [{bar}] {100 * self.done // self.total:3d}% {self.done}/{self.total}"
            self.stream.write(("\r" + line) if self.tty else line + "\n")
            if self.tty and self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


class NullStream:
    def write(self, text):
        pass

    def flush(self):
        pass
