"""Build the LoRA Studio bundle (PyInstaller, one folder), report its size, and optionally self-test it.

    python packaging/build.py [--self-test] [--archive] [--size-report FILE]

--self-test runs the built app's own check (`LoRAStudio --self-test`) the way a user's machine would: a
clean environment with no Python on PATH, no virtual environment, an empty home folder, and on Linux, when
the kernel allows it, a network namespace with no network at all. Exit code 0 only if the build and the
self-test both succeeded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bundle_contents  # noqa: E402
ROOT = HERE.parent
NAME = "LoRAStudio"
MB = 1024 * 1024


def build(dist: Path, work: Path, log: Path) -> Path:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.exit("build: PyInstaller is not installed. Run: pip install -e \".[package]\"")
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
               "--distpath", str(dist), "--workpath", str(work), str(HERE / "lora_studio.spec")]
    print(f"build: {' '.join(command[2:])}  (log: {log})", flush=True)
    start = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as out:
        code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    if code != 0:
        print(log.read_text(encoding="utf-8", errors="replace")[-6000:], file=sys.stderr)
        sys.exit(f"build: PyInstaller failed (exit code {code}).")
    print(f"build: done in {time.monotonic() - start:.0f} s", flush=True)
    return dist / NAME


def folder_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_symlink() and p.is_file())


def dangling_links(bundle: Path) -> list[Path]:
    return [p for p in bundle.rglob("*") if p.is_symlink() and not p.exists()]


def size_report(bundle: Path, archive: Path | None) -> str:
    internal = bundle / "_internal" if (bundle / "_internal").is_dir() else bundle
    parts = sorted(((folder_size(p) if p.is_dir() else p.lstat().st_size, p.name) for p in internal.iterdir()),
                   reverse=True)
    files = sum(1 for p in bundle.rglob("*") if p.is_file())
    lines = [f"LoRA Studio bundle, {platform.system()} {platform.machine()}, Python {platform.python_version()}",
             f"folder: {bundle}",
             f"total: {folder_size(bundle) / MB:,.0f} MB in {files:,} files"]
    if archive is not None:
        lines.append(f"archive: {archive.name}, {archive.stat().st_size / MB:,.0f} MB")
    lines.append("largest parts:")
    lines += [f"  {size / MB:8,.1f} MB  {name}" for size, name in parts[:12]]
    return "\n".join(lines)


def make_archive(bundle: Path) -> Path:
    machine = platform.machine().lower()
    base = bundle.parent / f"{NAME}-{bundle_contents.app_version(ROOT)}-{platform.system().lower()}-{machine}"
    fmt = "zip" if sys.platform == "win32" else "gztar"
    print(f"build: packing {base.name} ({fmt})…", flush=True)
    return Path(shutil.make_archive(str(base), fmt, root_dir=bundle.parent, base_dir=bundle.name))


def clean_environment(home: Path) -> dict[str, str]:
    """What a fresh user session has: no PYTHONPATH, no virtual environment, no Python on PATH."""
    env = {"HOME": str(home), "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
    if sys.platform == "win32":
        for key in ("SYSTEMROOT", "WINDIR", "TEMP", "TMP", "USERPROFILE", "APPDATA", "LOCALAPPDATA"):
            if key in os.environ:
                env[key] = os.environ[key]
        env["PATH"] = os.path.join(os.environ.get("SYSTEMROOT", r"C:\Windows"), "System32")
    else:
        env["PATH"] = "/usr/bin:/bin"
        env["TMPDIR"] = str(home)
    return env


def without_network() -> list[str]:
    """A prefix that runs a command with no network interfaces (Linux, when permitted), else nothing."""
    if sys.platform.startswith("linux") and shutil.which("unshare"):
        for prefix in (["unshare", "-n"], ["unshare", "-rn"]):
            if subprocess.call(prefix + ["true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
                return prefix
    return []


def self_test(bundle: Path, report: Path) -> int:
    """The bundle's self-test twice: with a console, then started as a windowed app is (no stdout/stderr)."""
    report = report.resolve()
    exe = (bundle / (f"{NAME}.exe" if sys.platform == "win32" else NAME)).resolve()
    with tempfile.TemporaryDirectory(prefix="lora-studio-home-") as home:
        isolation = without_network()
        where = "no network (unshare -n)" if isolation else "network blocked inside the app only"
        print(f"self-test: {exe} in a clean environment, {where}", flush=True)
        start = time.monotonic()
        command = isolation + [str(exe), "--self-test", "--report", str(report),
                               "--screenshot", str(report.with_name("self-test-window.png"))]
        code = subprocess.call(command, env=clean_environment(Path(home)), cwd=home)
        print(f"self-test: exit code {code} after {time.monotonic() - start:.0f} s", flush=True)
        if code != 0 or os.name != "posix":
            return code
        report.unlink()
        code = subprocess.call(command, env=clean_environment(Path(home)), cwd=home, stdin=subprocess.DEVNULL,
                               preexec_fn=_close_std_streams)
        failed = [c["name"] for c in json.loads(report.read_text())["checks"] if not c["ok"]] \
            if report.is_file() else ["(no report written)"]
        print(f"self-test with no stdout/stderr, as a windowed app starts: exit code {code}"
              + (f", failed: {', '.join(failed)}" if failed else ", all checks passed"), flush=True)
        return code or (1 if failed else 0)


def _close_std_streams() -> None:
    os.close(1)
    os.close(2)


def main() -> int:
    parser = argparse.ArgumentParser(description="Build the LoRA Studio bundle with PyInstaller.")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--self-test", action="store_true", help="run the built app's self-test afterwards")
    parser.add_argument("--archive", action="store_true", help="also pack the folder (.tar.gz, or .zip on Windows)")
    parser.add_argument("--size-report", type=Path, help="write the size report to this file too")
    args = parser.parse_args()
    dist = args.dist.resolve()
    bundle = build(dist, ROOT / "build" / "pyinstaller", ROOT / "build" / "pyinstaller.log")
    broken = dangling_links(bundle)
    if broken:  # a link to a file bundle_contents.py dropped: the library it names would fail to load
        sys.exit(f"build: {len(broken)} links point at files that were left out: {broken[:5]}")
    archive = make_archive(bundle) if args.archive else None
    report = size_report(bundle, archive)
    print(report, flush=True)
    if args.size_report:
        args.size_report.write_text(report + "\n", encoding="utf-8")
    return self_test(bundle, dist / "self-test.json") if args.self_test else 0


if __name__ == "__main__":
    sys.exit(main())
