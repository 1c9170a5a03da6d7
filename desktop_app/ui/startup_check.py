"""Before Qt starts on Linux: are the X11 (xcb) libraries its window plugin needs installed?

Without libxcb-cursor0 (and libxcb-icccm4, libxcb-keysyms1) Qt prints a plugin error on stderr and exits,
so a user who double-clicked sees nothing. This module imports no Qt: it looks for the libraries, and when
one is missing says which command installs them, on stderr and (packaged app) through a desktop tool that
needs no Qt (notify-send, zenity or xmessage, whichever is present).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import subprocess
import sys

# library name for find_library, soname, Debian/Ubuntu package, Fedora package
XCB_LIBRARIES = (("xcb-cursor", "libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
                 ("xcb-icccm", "libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
                 ("xcb-keysyms", "libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"))


def library_present(name: str, soname: str) -> bool:
    if ctypes.util.find_library(name):
        return True
    try:  # not in the linker cache, but loadable (LD_LIBRARY_PATH, a bundled copy)
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def needs_xcb(env=os.environ, platform: str = sys.platform) -> bool:
    """True when Qt will use its xcb (X11) plugin: Linux, an X display, and no other platform chosen."""
    if not platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(";")[0].startswith("xcb") and bool(env.get("DISPLAY"))
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def missing_xcb_packages(present=library_present) -> list[tuple[str, str]]:
    """(Debian package, Fedora package) for each missing library."""
    return [(deb, rpm) for name, soname, deb, rpm in XCB_LIBRARIES if not present(name, soname)]


def message(missing: list[tuple[str, str]], which=shutil.which) -> str:
    apt = "sudo apt install " + " ".join(deb for deb, _ in missing)
    dnf = "sudo dnf install " + " ".join(rpm for _, rpm in missing)
    commands = [c for tool, c in (("apt", apt), ("dnf", dnf)) if which(tool)] or [apt, dnf]
    return ("LoRA Studio cannot open its window: this Linux desktop lacks system libraries that Qt needs to "
            f"draw on X11 ({', '.join(deb for deb, _ in missing)}).\nInstall them, then start LoRA Studio again:\n"
            + "\n".join(f"    {c}" for c in commands))


def notify_without_qt(text: str, which=shutil.which, run=subprocess.run) -> bool:
    """Show `text` with the first desktop tool found; True if one ran."""
    title = "LoRA Studio cannot start"
    for tool, args in (("zenity", ["--error", "--no-wrap", f"--title={title}", f"--text={text}"]),
                       ("notify-send", ["--urgency=critical", title, text]),
                       ("xmessage", ["-center", f"{title}\n\n{text}"])):
        path = which(tool)
        if path:
            try:
                run([path, *args], check=False, timeout=600)
            except (OSError, subprocess.SubprocessError):
                continue
            return True
    return False


def check_display(env=os.environ, platform: str = sys.platform, present=library_present, which=shutil.which,
                  run=subprocess.run, stderr=None, frozen: bool | None = None) -> bool:
    """True when Qt can be started; else explain (stderr, and a desktop message when packaged) and return False."""
    if not needs_xcb(env, platform):
        return True
    missing = missing_xcb_packages(present)
    if not missing:
        return True
    text = message(missing, which)
    print(text, file=stderr or sys.stderr)
    if frozen if frozen is not None else getattr(sys, "frozen", False):
        notify_without_qt(text, which, run)
    return False
