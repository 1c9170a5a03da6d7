"""The one error sink: a sentence for the user, the full traceback in a rotating log file.

napari's notification manager and superqt's `errored(exc)` show the pattern: errors travel as
exceptions to one place, which decides what the user reads (a StudioError's message and hint, or a
plain apology) and keeps the details where a bug report can find them. The window's runner, the
CLI and the process-wide exception hooks all report here.
"""

from __future__ import annotations

import logging
import sys
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

from .app_folders import app_folder
from .errors import StudioError

LOGGER = "desktop_app"
LOG_FILE = "lora-studio.log"
log = logging.getLogger(LOGGER)
_lock = threading.Lock()


def log_folder() -> Path:
    """Where logs go: LORA_STUDIO_LOG_DIR if set, else the platform's place for an app's logs."""
    return app_folder("logs")


def log_path() -> Path:
    return log_folder() / LOG_FILE


def setup_logging(verbose_stream=None) -> Path | None:
    """Send this package's log to the rotating file (once per folder), and to `verbose_stream` if given.
    Returns the file, or None where the folder cannot be written (logging must never stop the app)."""
    path = log_path()
    with _lock:
        log.setLevel(logging.DEBUG)
        log.propagate = False
        if not any(isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path for h in log.handlers):
            for old in [h for h in log.handlers if isinstance(h, RotatingFileHandler)]:
                log.removeHandler(old)
                old.close()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                handler = RotatingFileHandler(path, maxBytes=1024**2, backupCount=3, encoding="utf-8")
            except OSError:
                path = None
            else:
                handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
                log.addHandler(handler)
        for old in [h for h in log.handlers if type(h) is logging.StreamHandler]:
            log.removeHandler(old)  # one console at a time (the CLI may run main() more than once)
        if verbose_stream is not None:
            stream = logging.StreamHandler(verbose_stream)
            stream.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
            log.addHandler(stream)
    return path


def report(exc: BaseException) -> tuple[str, str]:
    """Log `exc` with its traceback and return what the user should read: (message, hint)."""
    if isinstance(exc, StudioError):
        log.warning("%s: %s", type(exc).__name__, exc, exc_info=exc)
        return exc.message, exc.hint
    if isinstance(exc, MemoryError):
        log.error("out of memory", exc_info=exc)
        return "The computer ran out of memory.", "Lower the batch size or the maximum length."
    log.error("unexpected error", exc_info=exc)
    where = log_path()
    return ("Something unexpected went wrong.",
            f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''} — the details are in "
            f"the log ({where}); Help → Open log folder.")


def install_excepthooks() -> None:
    """Exceptions that reach no handler (a slot, a stray thread) are logged, never lost: the windowed
    build has no stderr to print them to."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        log.critical("uncaught exception", exc_info=(kind, value, tb))
        if sys.stderr is not None and previous is not None:
            previous(kind, value, tb)

    def thread_hook(args):
        log.critical("uncaught exception in thread %s", getattr(args.thread, "name", "?"),
                     exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    sys.excepthook = hook
    threading.excepthook = thread_hook
