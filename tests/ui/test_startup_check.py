"""Start-up on a bare Linux desktop: missing xcb libraries are found before Qt starts and explained."""

import io

from desktop_app.ui.startup_check import check_display, needs_xcb

X11 = {"DISPLAY": ":0"}


def _absent(*names):
    return lambda name, soname: name not in names


def test_missing_xcb_libraries_print_the_install_command():
    err = io.StringIO()
    ok = check_display(X11, "linux", _absent("xcb-cursor", "xcb-keysyms"), which=lambda tool: tool == "apt",
                       stderr=err, frozen=False)
    assert not ok
    assert "sudo apt install libxcb-cursor0 libxcb-keysyms1" in err.getvalue()
    assert "dnf" not in err.getvalue()


def test_fedora_gets_its_package_names_and_unknown_systems_both_lines():
    err = io.StringIO()
    check_display(X11, "linux", _absent("xcb-icccm"), which=lambda tool: tool == "dnf", stderr=err, frozen=False)
    assert "sudo dnf install xcb-util-wm" in err.getvalue()
    err = io.StringIO()
    check_display(X11, "linux", _absent("xcb-cursor"), which=lambda tool: None, stderr=err, frozen=False)
    assert "sudo apt install libxcb-cursor0" in err.getvalue() and "sudo dnf install xcb-util-cursor" in err.getvalue()


def test_the_packaged_app_also_shows_a_desktop_message_without_qt():
    ran = []
    ok = check_display(X11, "linux", _absent("xcb-cursor"), which=lambda tool: f"/usr/bin/{tool}"
                       if tool in ("notify-send", "apt") else None, run=lambda args, **k: ran.append(args),
                       stderr=io.StringIO(), frozen=True)
    assert not ok and ran and ran[0][0] == "/usr/bin/notify-send"
    assert "sudo apt install libxcb-cursor0" in ran[0][-1]


def test_nothing_is_checked_when_qt_will_not_use_xcb():
    assert check_display(X11, "linux", _absent("xcb-cursor", "xcb-icccm", "xcb-keysyms"), stderr=io.StringIO(),
                         frozen=False) is False
    assert not needs_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not needs_xcb({}, "linux")  # no display: Qt says so itself
    assert not needs_xcb(X11, "win32")
    assert not needs_xcb({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert needs_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux")
    assert check_display(X11, "linux", lambda name, soname: True, stderr=io.StringIO(), frozen=False)


def test_the_gui_entry_point_stops_before_qt_when_libraries_are_missing(monkeypatch):
    from desktop_app.ui import app, startup_check

    monkeypatch.setattr(startup_check, "check_display", lambda: False)
    assert app.main([]) == 1
