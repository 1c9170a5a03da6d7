"""Hostile data files, round three (issue 21, part B): formulas that ride a bare line break into a
spreadsheet, small files that unpack to gigabytes, encodings guessed wrong in silence, misleading
sentences (lone-CR line ends, pipes) and labels that look blank."""

import json
import os
import subprocess
import sys
import threading
import zipfile

import pandas as pd
import pytest
from hostile import one_line_error

from desktop_app.cli import main
from desktop_app.core.data import tables as data
from desktop_app.core.data.tables import iter_table, read_table
from desktop_app.core.data.dataset import inspect
from desktop_app.core.base.errors import AdapterError, DataError
from desktop_app.core.predict.predict_file import write_csv, write_frame_csv
from desktop_app.core.base.sanitize import label_problem, spreadsheet_safe

CALC = "=cmd|' /C calc'!A0"
# What spreadsheet importers may end a row on, outside quotes: CR, LF, CRLF, and the rarer breaks that
# some programs honour (vertical tab, form feed, the information separators, NEL, Unicode line/paragraph).
BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
INVISIBLE = ["\u00a0", "\u3000", "\u200b", "\u2060", "\ufeff", "\u3164", "\u2800", "\n", "\r\n", "\u2028",
             "\u00a0 \u200b"]


def _spreadsheet_cells(text: str) -> list[str]:
    """Every cell an importer that ends a row at any line break outside quotes would make of `text`."""
    cells, cell, quoted, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1:i + 2] == '"':
                cell.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                cell.append(ch)
        elif ch == '"' and not cell:
            quoted = True
        elif ch == "," or ch in BREAKS:
            cells.append("".join(cell))
            cell = []
        else:
            cell.append(ch)
        i += 1
    return cells + ["".join(cell)]


def _live_formulas(text: str) -> list[str]:
    """Cells that would run: after whatever shows as nothing, a formula start, with no apostrophe first."""
    live = []
    for cell in _spreadsheet_cells(text):
        shown = cell.lstrip(" \t\u00a0\u3000\u200b\u2060\ufeff\u3164\u2800")
        if shown[:1] in ("=", "+", "-", "@") and not cell.startswith("'"):
            live.append(cell)
    return live


HOSTILE_TEXTS = [f"fine film{b}{CALC}" for b in BREAKS] + [f"{s}{CALC}" for s in INVISIBLE]


# ---------------------------------------------------------------- 1. formulas through a bare line break
def test_a_line_break_csv_leaves_bare_cannot_start_a_row_with_a_formula(tmp_path):
    """write_csv serves the window's Save (write_frame_csv), predict --out and predict to stdout alike."""
    frame = pd.DataFrame({"text": HOSTILE_TEXTS, "confidence": [0.5] * len(HOSTILE_TEXTS)})
    dest = tmp_path / "saved.csv"
    write_frame_csv(frame, dest)
    saved = dest.read_text(encoding="utf-8")
    assert _live_formulas(saved) == []
    back = pd.read_csv(dest, dtype=str, keep_default_na=False)  # and nothing is lost: each text reads back
    assert [spreadsheet_safe(t) for t in HOSTILE_TEXTS] == back["text"].tolist()


@pytest.mark.parametrize("start", INVISIBLE)
def test_a_formula_after_characters_that_show_as_nothing_is_escaped(start):
    for formula in ("=1+1", "@SUM(A1)", "+A1", "-A1*2"):
        assert spreadsheet_safe(start + formula) == "'" + start + formula
    assert spreadsheet_safe(start + "-1.5") == start + "-1.5"  # a plain number stays a number


def test_predict_out_and_stdout_keep_a_lone_cr_inside_its_cell(trained_adapter, tmp_path, capsys):
    source = tmp_path / "x.csv"
    source.write_text("text\n" + "".join(f'"{t}"\n' for t in HOSTILE_TEXTS) + "a plain review\n",
                      encoding="utf-8", newline="")
    assert main(["predict", str(trained_adapter.adapter_dir), str(source), "--out", str(tmp_path / "p.csv")]) == 0
    assert _live_formulas((tmp_path / "p.csv").read_text(encoding="utf-8")) == []
    capsys.readouterr()
    assert main(["predict", str(trained_adapter.adapter_dir), str(source)]) == 0
    out = capsys.readouterr().out
    assert out.count("a plain review") == 1 and _live_formulas(out) == []


def test_a_header_with_a_lone_cr_is_quoted_too():
    import io

    stream = io.StringIO()
    write_csv([pd.DataFrame({f"name\r{CALC}": ["x"]})], stream)
    assert _live_formulas(stream.getvalue()) == []


# ---------------------------------------------------------------- 5. small files, big memory
def _dictionary_parquet(path, rows: int, value: str = "a review that repeats " * 4):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array([value]))
    labels = pa.DictionaryArray.from_arrays(pa.array([i % 2 for i in range(rows)], pa.int32()), pa.array(["a", "b"]))
    pq.write_table(pa.table({"text": texts, "label": labels}), path, compression="zstd")
    return path


def test_a_parquet_declaring_more_rows_than_the_cap_is_refused_from_its_metadata(tmp_path, monkeypatch):
    path = _dictionary_parquet(tmp_path / "d.parquet", 5000)
    monkeypatch.setattr(data, "MAX_ROWS", 1000, raising=False)
    monkeypatch.setattr(data, "_as_strings", lambda frame: pytest.fail("rows were materialised"))
    with pytest.raises(DataError, match=r"5,000 rows, more than 1,000"):
        read_table(path)


def test_a_parquet_that_unpacks_beyond_the_cap_is_refused_from_its_metadata(tmp_path, monkeypatch):
    path = tmp_path / "d.parquet"
    pd.DataFrame({"text": [" " * 100_000 + str(i) for i in range(40)], "label": ["a", "b"] * 20}).to_parquet(path)
    assert path.stat().st_size < 200_000
    monkeypatch.setattr(data, "MAX_READ_BYTES", 1_000_000, raising=False)
    monkeypatch.setattr(data, "_as_strings", lambda frame: pytest.fail("rows were materialised"))
    with pytest.raises(DataError, match="unpacks to more than"):
        read_table(path)


def _xlsx(path, rows):
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _with_dimension(path, ref: str):
    """The same workbook, its first sheet declaring another size (what a hostile or careless writer does)."""
    with zipfile.ZipFile(path) as old:
        entries = {name: old.read(name) for name in old.namelist()}
    sheet = entries["xl/worksheets/sheet1.xml"].decode()
    start = sheet.index("<dimension ref=\"") + len("<dimension ref=\"")
    entries["xl/worksheets/sheet1.xml"] = (sheet[:start] + ref + sheet[sheet.index('"', start):]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, content in entries.items():
            new.writestr(name, content)
    return path


def test_an_xlsx_whose_sheet_declares_too_many_rows_or_columns_is_refused_before_reading(tmp_path, monkeypatch):
    rows = [("text", "label")] + [(f"review {i}", "ab"[i % 2]) for i in range(20)]
    monkeypatch.setattr(data, "MAX_ROWS", 10, raising=False)
    with pytest.raises(DataError, match="20 rows in its first sheet, more than 10"):
        read_table(_xlsx(tmp_path / "rows.xlsx", rows))
    monkeypatch.setattr(data, "MAX_ROWS", 1000, raising=False)
    wide = _with_dimension(_xlsx(tmp_path / "wide.xlsx", rows), "A1:XFD21")
    with pytest.raises(DataError, match="16,384 columns"):
        read_table(wide)


def test_an_xlsx_of_compressed_whitespace_is_refused_from_its_zip_directory(tmp_path, monkeypatch):
    path = _xlsx(tmp_path / "blank.xlsx", [("text", "label")] + [(" " * 30_000 + str(i), "ab"[i % 2])
                                                                   for i in range(200)])
    assert path.stat().st_size < 200_000  # 6 MB of text (a cell holds at most 32,767), packed small
    monkeypatch.setattr(data, "MAX_READ_BYTES", 1024**2, raising=False)
    monkeypatch.setattr("openpyxl.load_workbook", lambda *a, **k: pytest.fail("the workbook was opened"))
    with pytest.raises(DataError, match="unpacks to more than 2 MB"):
        read_table(path)


def test_a_nul_byte_deep_in_a_csv_is_binary_wherever_it_is(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"text,label\n" + b"a fine review,pos\n" * 5000 + b"junk\x00\x00\x00,neg\n")
    for read in (read_table, lambda p: list(iter_table(p))):
        with pytest.raises(DataError, match="binary file.*line 5,002 holds a NUL byte"):
            read(path)


def test_a_text_file_beyond_the_caps_is_refused_in_a_sentence_but_still_streams(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f"review number {i},{'ab'[i % 2]}\n" for i in range(5000)))
    monkeypatch.setattr(data, "MAX_READ_BYTES", 50_000, raising=False)
    with pytest.raises(DataError, match="is larger than 0.0477 MB: more than LoRA Studio reads at once"):
        read_table(path)
    assert sum(len(t.frame) for t in iter_table(path, 1000)) == 5000  # predictions stream any size
    monkeypatch.setattr(data, "MAX_READ_BYTES", 10**9)
    monkeypatch.setattr(data, "MAX_ROWS", 4000, raising=False)
    with pytest.raises(DataError, match="more than 4,000 rows"):
        read_table(path)
    monkeypatch.setattr(data, "MAX_ROWS", 10**6)
    monkeypatch.setattr(data, "MAX_TABLE_BYTES", 20_000, raising=False)
    with pytest.raises(DataError, match="MB of text"):
        read_table(path)


def test_a_json_array_is_capped_lower_and_json_lines_are_not(tmp_path, monkeypatch):
    rows = [{"text": f"review number {i}", "label": "ab"[i % 2]} for i in range(2000)]
    array, lines = tmp_path / "array.json", tmp_path / "lines.json"
    array.write_text(json.dumps(rows))
    lines.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(data, "MAX_JSON_BYTES", 50_000, raising=False)
    for read in (read_table, lambda p: list(iter_table(p))):  # an array is parsed whole, even to predict
        with pytest.raises(DataError, match="is a JSON array larger than .* Save it as JSON Lines"):
            read(array)
    assert len(read_table(lines).frame) == 2000


def test_a_line_longer_than_the_cap_is_refused_while_streaming(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_bytes(b"text,label\n" + b"x" * 300_000 + b",pos\n")
    monkeypatch.setattr(data, "MAX_LINE_BYTES", 100_000, raising=False)
    with pytest.raises(DataError, match="Line 2 .* is longer than"):
        list(iter_table(path))


PEAK = """
import sys
from desktop_app.core.data.tables import read_table
from desktop_app.core.base.errors import DataError
import pandas, pyarrow.parquet, openpyxl, charset_normalizer

def megabytes(key):  # from /proc: ru_maxrss would start at the parent's peak, which exec keeps
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key)) / 1024

before = megabytes("VmRSS:")
try:
    read_table(sys.argv[1])
except DataError as exc:
    print("refused:", exc)
print("peak-mb", megabytes("VmHWM:") - before)
"""


def _peak_mb(path, script: str = PEAK) -> tuple[float, str]:
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=240,
                          cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    return float(done.stdout.split("peak-mb")[-1]), done.stdout


def test_peak_memory_stays_near_the_file_size(tmp_path):
    """Measured in a fresh process: a 3,000,000-row Parquet of 60 KB is refused from its metadata (789 MB
    before), and a 28 MB CSV of texts with an emoji (four bytes a letter as Python text) reads in less than
    three times its size (49 MB here, 352 MB before)."""
    small = _dictionary_parquet(tmp_path / "many.parquet", 3_000_000)
    assert small.stat().st_size < 2_000_000
    peak, out = _peak_mb(small)
    assert "refused" in out and peak < 60, out
    csv = tmp_path / "emoji.csv"
    line = "a review with an emoji 🙂 that is long enough to weigh something in memory, " * 3
    with csv.open("w", encoding="utf-8") as fh:
        fh.write("text,label\n")
        for i in range(120_000):
            fh.write(f"{line}{i},{'ab'[i % 2]}\n")
    size_mb = csv.stat().st_size / 1024**2
    peak, out = _peak_mb(csv)
    assert "refused" not in out and peak < 3 * size_mb, (peak, size_mb)


def test_a_long_value_repeated_in_a_parquet_is_held_once_while_streaming(tmp_path):
    """A 1 KB Parquet whose one 100 KB value fills 4,096 rows: predictions stream it in chunks, each chunk's
    rows sharing the one string (16 MB here; 667 MB before: every chunk unpacked to 200 MB, twice)."""
    path = _dictionary_parquet(tmp_path / "repeated.parquet", 4096, value="x" * 100_000)
    chunks = list(iter_table(path))
    assert [len(c.frame) for c in chunks] == [2048, 2048] and chunks[0].frame["text"].iloc[5] == "x" * 100_000
    stream = PEAK.replace("read_table(sys.argv[1])",
                          "from desktop_app.core.data.tables import iter_table\n    sum(1 for _ in iter_table(sys.argv[1]))")
    peak, out = _peak_mb(path, stream)
    assert peak < 60, out


# ---------------------------------------------------------------- 8. encodings guessed wrong, silently
def test_shift_jis_labels_read_as_written(tmp_path, capsys):
    path = tmp_path / "ja.csv"
    rows = [("この映画は良い", "良い"), ("つまらない話", "悪い")] * 30
    path.write_bytes(("text,label\n" + "".join(f"{t},{lab}\n" for t, lab in rows)).encode("shift_jis"))
    assert main(["inspect", str(path), "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out)["class_counts"]) == {"良い", "悪い"}


def test_shift_jis_lines_appended_to_a_utf8_file_read_as_written(tmp_path):
    path = tmp_path / "mixed.csv"
    utf8 = "".join(f"an English review {i},good\n" for i in range(20)) + "".join(f"déjà vu {i},good\n" for i in range(3))
    path.write_bytes(("text,label\n" + utf8).encode() + "この映画は良い,良い\nつまらない話,悪い\n".encode("shift_jis"))
    table = read_table(path)
    assert table.frame["label"].tolist()[-2:] == ["良い", "悪い"] and table.encoding == "utf-8"
    assert table.notes == ["Lines 25, 26 were not UTF-8 and were read as cp932; check them."]


def test_a_weak_guess_is_said_with_the_candidates_and_the_encoding_can_be_chosen(tmp_path, capsys):
    path = tmp_path / "zh.csv"
    path.write_bytes("text,label\n这部电影非常好看,好\n剧情很无聊,差\n".encode("gb18030"))
    report, _ = inspect(path)
    guess = next(w for w in report.warnings if "is a guess" in w)
    assert "gb18030" in guess and "这部电影非常好看" in guess and "--encoding" in guess
    assert main(["inspect", str(path), "--encoding", "gb18030", "--json"]) == 0
    chosen = json.loads(capsys.readouterr().out)
    assert chosen["encoding"] == "gb18030" and set(chosen["class_counts"]) == {"好", "差"}
    assert not any("is a guess" in w for w in chosen["warnings"])


def test_a_chosen_encoding_that_does_not_fit_is_a_sentence_not_garbled_text(tmp_path, capsys):
    path = tmp_path / "ja.csv"
    path.write_bytes("text,label\nan English review,good\n良い映画,良い\n".encode("shift_jis"))
    assert main(["inspect", str(path), "--encoding", "utf-8"]) == 2
    assert "Line 3 cannot be read as utf-8" in one_line_error(capsys)


@pytest.mark.parametrize("command", [["inspect", "{data}"], ["train", "{data}", "--out", "{out}"],
                                     ["job", "export", "{data}", "--out", "{out}"],
                                     ["evaluate", "{adapter}", "{data}"], ["predict", "{adapter}", "{data}"]])
def test_every_command_that_reads_a_data_file_takes_an_encoding(command, trained_adapter, toy_csv, tmp_path,
                                                                 capsys):
    args = [a.format(data=toy_csv, out=tmp_path / "out", adapter=trained_adapter.adapter_dir) for a in command]
    assert main(args + ["--encoding", "klingon-8"]) == 2
    assert "“klingon-8” is not an encoding LoRA Studio knows" in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- 10. misleading sentences
def test_lone_cr_line_ends_are_line_ends(tmp_path):
    path = tmp_path / "mac.csv"
    rows = [(f"review {i}", "ab"[i % 2]) for i in range(3000)]  # beyond the 64 KB a stream sniffs
    path.write_bytes(("text,label\r" + "".join(f"{t},{lab}\r" for t, lab in rows)).encode())
    for frame in (read_table(path).frame, pd.concat(t.frame for t in iter_table(path, 500))):
        assert list(zip(frame["text"], frame["label"])) == rows
    stray = tmp_path / "stray.csv"  # a file with \n line ends keeps each lone \r inside its field, however many
    stray.write_bytes(b"text,label\none\rtwo\rthree\rfour,a\nfive\r\r\r,b\n")
    assert read_table(stray).frame.values.tolist() == [["one\rtwo\rthree\rfour", "a"], ["five\r\r\r", "b"]]


def test_a_pipe_is_named_as_a_pipe_not_an_empty_file(tmp_path, capsys):
    fifo = tmp_path / "63"
    os.mkfifo(fifo)
    read, write = os.pipe()  # what a shell's <(cat f) gives: /dev/fd/N
    try:
        for path in (fifo, f"/dev/fd/{read}"):
            result = []
            worker = threading.Thread(target=lambda p=path: result.append(main(["inspect", str(p)])), daemon=True)
            worker.start()
            worker.join(20)
            assert result == [2], "inspect waited on the pipe"
            line = one_line_error(capsys)
            assert f"“{path}” is a pipe" in line and "empty" not in line
    finally:
        os.close(read)
        os.close(write)


# ---------------------------------------------------------------- 12. labels that look blank
BLANK_LOOKING = ["\u3164", "\u2800", "\u115f", "\uffa0", "\u3164\u3164", " \u2800 ", "\ufe0f", "\u034f"]


@pytest.mark.parametrize("label", BLANK_LOOKING + ["neg\u3164", "\u2800pos"])
def test_labels_that_look_blank_are_refused_where_labels_enter(label, tmp_path, adapter_copy):
    assert label_problem(label) is not None
    path = tmp_path / "d.csv"
    path.write_text("text,label\n" + "".join(f"review {i},{[label, 'neg', 'pos'][i % 3]}\n" for i in range(60)),
                    encoding="utf-8")
    report, _ = inspect(path)
    assert not report.ok and any("class name" in e for e in report.errors)
    from desktop_app.core.predict.inference import Classifier

    manifest = adapter_copy / "manifest.json"
    content = json.loads(manifest.read_text())
    content["labels"] = [label, "pos"]
    manifest.write_text(json.dumps(content))
    with pytest.raises(AdapterError, match="manifest is invalid"):
        Classifier.load(adapter_copy)


def test_labels_in_other_scripts_and_emoji_stay_accepted():
    for label in ("좋음", "良い", "😀", "👍🏽", "🏳️‍🌈", "é", "नमस्ते", "neg"):
        assert label_problem(label) is None, label
