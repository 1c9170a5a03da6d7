"""The resource helper finds the sample from a checkout and from an installed wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from desktop_app.paths import resources_dir, sample_dataset

ROOT = Path(__file__).resolve().parent.parent


def test_sample_dataset_is_found_and_valid():
    from desktop_app.core.data.dataset import load_dataset

    ds = load_dataset(sample_dataset())
    assert resources_dir().is_dir()
    assert len(ds.examples) >= 300 and len(ds.label_map) >= 2
    assert ds.report.warnings == []


@pytest.mark.slow
def test_wheel_carries_the_resources(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("lora_studio-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "desktop_app/resources/sample_reviews.csv" in names
    assert {"desktop_app/resources/icon.png", "desktop_app/resources/icon.ico"} <= set(names)
    assert "desktop_app/core/train/training.py" in names
