"""The project's exceptions. Messages name the file, the line and what was expected."""

from __future__ import annotations


class JixiaoError(Exception):
    """Base of every error this project raises on purpose."""


class IngestError(JixiaoError):
    """A file could not be read as a performance-target table."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = f"{source}" + (f" 第{line}行" if line else "")
        super().__init__(f"{where}: {message}")


class IndexMissingError(JixiaoError):
    """The question was asked before any table was indexed."""


class ConfigError(JixiaoError):
    """A setting has a value the program cannot use."""


class IndexBusyError(JixiaoError):
    """Another process is writing to the same data directory and did not finish in time."""


class ModelMismatchError(ConfigError):
    """The collection was built with another embedding model than the one configured."""
