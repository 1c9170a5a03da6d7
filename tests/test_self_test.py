"""`LoRAStudio --self-test`: it passes on a working install, fails (exit 1) when a part is broken,
and its network guard really refuses connections. The frozen bundle runs the same code in CI
(packaging/build.py --self-test)."""

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The self-test as the bundle runs it: every module the spec leaves out is made unimportable first
# (sys.modules[name] = None also makes importlib.util.find_spec report it missing, as transformers checks).
AS_IN_THE_BUNDLE = """
import sys
sys.path.insert(0, sys.argv[2])
import bundle_contents
for name in bundle_contents.EXCLUDED_MODULES:
    sys.modules[name] = None
from desktop_app.__main__ import main
sys.exit(main(["--self-test", "--report", sys.argv[1]]))
"""


@pytest.fixture(scope="module")
def self_test_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("self-test")
    report = folder / "report.json"
    proc = subprocess.run([sys.executable, "-c", AS_IN_THE_BUNDLE, str(report), str(ROOT / "packaging")],
                          capture_output=True, text=True, cwd=folder, timeout=600)
    return proc, json.loads(report.read_text())


@pytest.mark.slow
def test_self_test_passes_without_the_modules_the_bundle_leaves_out(self_test_run):
    """Also proves the exclusion list safe in seconds, before anyone waits for a build."""
    proc, report = self_test_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = [c["name"] for c in report["checks"]]
    assert names == ["bundled files", "file formats", "libraries", "built-in model", "training", "export + reload",
                     "ONNX export", "int8 prediction", "explanation", "multi-label", "small data", "main window",
                     "self-contained", "offline"]
    assert report["ok"] and all(c["ok"] for c in report["checks"])
    assert "All checks passed (14/14)." in proc.stdout
    small = next(c for c in report["checks"] if c["name"] == "small data")
    assert "cross-validation" in small["detail"] and "±" in small["detail"]
    window = next(c for c in report["checks"] if c["name"] == "main window")
    assert "classified as" in window["detail"]


def test_a_broken_part_fails_the_self_test(monkeypatch, tmp_path, capsys):
    import desktop_app.paths as paths
    from desktop_app.self_test import run_self_test

    def missing():
        raise FileNotFoundError("LoRA Studio's resources folder is missing; reinstall the application.")

    monkeypatch.setattr(paths, "sample_dataset", missing)
    code = run_self_test(tmp_path / "report.json")
    report = json.loads((tmp_path / "report.json").read_text())
    checks = {c["name"]: c for c in report["checks"]}
    assert code == 1 and report["ok"] is False
    assert not checks["bundled files"]["ok"] and "resources folder is missing" in checks["bundled files"]["detail"]
    assert checks["training"]["detail"].startswith("skipped: needs bundled files")
    assert not checks["main window"]["ok"]
    assert "SELF-TEST FAILED" in capsys.readouterr().out


def test_network_guard_refuses_remote_and_allows_loopback():
    from desktop_app.self_test import NetworkGuard

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    accepter = threading.Thread(target=lambda: server.accept()[0].close())
    accepter.start()
    real_connect = socket.socket.connect
    with NetworkGuard() as guard:
        with pytest.raises(OSError, match="network access is disabled"):
            socket.create_connection(("huggingface.co", 443), timeout=1)
        with pytest.raises(OSError, match="network access is disabled"):
            socket.socket().connect(("93.184.216.34", 80))
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    accepter.join(5)
    server.close()
    assert guard.attempts == ["look up huggingface.co", "connect 93.184.216.34:80"]
    assert socket.socket.connect is real_connect


def test_main_accepts_self_test_flag_help(capsys):
    from desktop_app.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--self-test", "--help"])
    assert exit_info.value.code == 0
    assert "--report" in capsys.readouterr().out


@pytest.mark.slow
def test_runs_like_a_windowed_app_with_no_stdout_or_stderr(tmp_path):
    """A windowed build starts with sys.stdout and sys.stderr set to None (their descriptors are closed
    here to get the same). The self-test (window included) and a command-line training run, whose
    progress bar writes to stderr, must still work."""
    import os

    script = """
import json, sys
from desktop_app.__main__ import main
assert sys.stdout is None and sys.stderr is None
# training first: once imported, some libraries replace a None sys.stderr themselves
codes = [main(["train", "--sample", "--preset", "quick", "--epochs", "1", "--max-length", "48", "--out", "adapter"]),
         main(["--self-test", "--report", "report.json"])]
json.dump(codes, open("codes.json", "w"))
"""

    def close_std_streams():
        os.close(1)
        os.close(2)

    proc = subprocess.run([sys.executable, "-c", script], preexec_fn=close_std_streams, stdin=subprocess.DEVNULL,
                          cwd=tmp_path, timeout=600)
    assert proc.returncode == 0 and (tmp_path / "codes.json").is_file(), f"crashed with exit code {proc.returncode}"
    report = tmp_path / "report.json"
    failed = [c for c in json.loads(report.read_text())["checks"] if not c["ok"]] if report.is_file() else "no report"
    assert json.loads((tmp_path / "codes.json").read_text()) == [0, 0], failed
    assert failed == []
    assert (tmp_path / "adapter" / "manifest.json").is_file()


def test_missing_package_metadata_fails_the_libraries_check(monkeypatch, tmp_path):
    """A bundle without copy_metadata breaks transformers' version checks; the self-test must say so."""
    import importlib.metadata as metadata

    from desktop_app.self_test import SelfTest

    real = metadata.version

    def version(name):
        if name == "peft":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "version", version)
    test = SelfTest(tmp_path)
    assert not test.step("libraries", test.libraries)
    assert test.checks[0].detail.startswith("AssertionError: package metadata missing for peft")


def test_report_lines_survive_a_console_that_cannot_encode_them(tmp_path):
    import io

    from desktop_app.self_test import SelfTest

    raw = io.BytesIO()
    console = io.TextIOWrapper(raw, encoding="ascii")
    test = SelfTest(tmp_path, out=console)
    assert test.step("verdict", lambda: "classified as “positive · 41%” ✓")
    console.flush()
    assert b"PASS  verdict" in raw.getvalue() and b"classified as ?positive ? 41%? ?" in raw.getvalue()


def test_self_contained_check_flags_files_from_outside_the_bundle(monkeypatch, tmp_path):
    from desktop_app.self_test import SelfTest

    test = SelfTest(tmp_path)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)  # pretend: a bundle holding nothing
    assert not test.step("self-contained", test.self_contained)
    assert "loaded from outside the bundle" in test.checks[-1].detail
    monkeypatch.setattr(sys, "_MEIPASS", "/", raising=False)  # a bundle holding everything
    assert test.step("self-contained (everything inside)", test.self_contained)
