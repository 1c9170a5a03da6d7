"""The file-safety code branches on the OS and the kernel; every branch is forced here, on Linux."""

import ctypes
import errno
import os
import sys
import types

import pytest

from desktop_app.core.disk import atomic
from desktop_app.core.disk import ownership


def test_without_renameat2_the_swap_falls_back_to_two_renames(tmp_path, monkeypatch):
    calls = []

    def refusing(*args):  # a file system that cannot exchange (EINVAL), as FAT or some network mounts
        calls.append(args)
        ctypes.set_errno(errno.EINVAL)
        return -1
    monkeypatch.setattr(atomic, "_renameat2", lambda: refusing)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    assert atomic.exchange(a, b) is False and calls
    monkeypatch.setattr(atomic, "_renameat2", lambda: None)  # macOS, Windows, old libc
    assert atomic.exchange(a, b) is False
    (b / "old.txt").write_text("old")
    (a / "new.txt").write_text("new")
    atomic.replace_folder(a, b)
    assert [p.name for p in b.iterdir()] == ["new.txt"] and not a.exists()


def test_an_unexpected_exchange_error_is_raised_not_hidden(tmp_path, monkeypatch):
    def failing(*args):
        ctypes.set_errno(errno.EIO)
        return -1
    monkeypatch.setattr(atomic, "_renameat2", lambda: failing)
    with pytest.raises(OSError):
        atomic.exchange(tmp_path / "a", tmp_path / "b")


def test_renameat2_lookup_off_linux(monkeypatch):
    atomic._renameat2.cache_clear()
    monkeypatch.setattr(sys, "platform", "darwin")
    try:
        assert atomic._renameat2() is None
    finally:
        atomic._renameat2.cache_clear()


def test_umask_without_proc(monkeypatch, tmp_path):
    monkeypatch.setattr(atomic, "PROC_STATUS", str(tmp_path / "no-proc" / "status"))  # macOS, Windows
    old = os.umask(0o027)
    try:
        assert atomic.current_umask() == 0o027
    finally:
        os.umask(old)


def test_windows_folder_fsync_and_lock(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "WINDOWS", True)
    monkeypatch.setattr(atomic.os, "open", lambda *a, **k: pytest.fail("Windows cannot open a folder"))
    atomic.fsync_dir(tmp_path)  # returns without touching the folder
    monkeypatch.undo()
    monkeypatch.setattr(atomic, "WINDOWS", True)

    held = set()

    def locking(fd, mode, nbytes):  # msvcrt.locking: a second non-blocking lock on a locked byte fails
        key = (os.fstat(fd).st_ino, os.lseek(fd, 0, os.SEEK_CUR))  # it locks from the current position
        if key in held:
            raise OSError(errno.EACCES, "locked")
        held.add(key)
    monkeypatch.setitem(sys.modules, "msvcrt", types.SimpleNamespace(locking=locking, LK_NBLCK=2))
    monkeypatch.setattr(ownership, "WINDOWS", True)
    lock = tmp_path / "lock"
    fd1, fd2 = os.open(lock, os.O_RDWR | os.O_CREAT), os.open(lock, os.O_RDWR)
    os.write(fd1, b"signature")  # the owner wrote its signature first: its position is past byte 0
    try:
        assert ownership.try_lock(fd1) and not ownership.try_lock(fd2)
    finally:
        os.close(fd1)
        os.close(fd2)

