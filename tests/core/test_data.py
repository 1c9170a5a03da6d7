"""Reading users' files: formats, encodings, delimiters, NA-like texts, multi-line fields, bad input."""

import codecs
import json

import pandas as pd
import pytest

from desktop_app.core.data.tables import decode_bytes, guess_columns, read_table, sniff_delimiter
from desktop_app.core.base.errors import DataError

ROWS = [("I loved it", "pos"), ("NA", "neg"), ("None", "pos"), ("null", "neg"), ("Meh, fine", "pos")]


def _csv_text(delim=","):
    lines = [f"text{delim}label"]
    for t, l in ROWS:
        t = f'"{t}"' if delim in t or '"' in t else t
        lines.append(f"{t}{delim}{l}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"])
def test_encodings_are_detected_and_text_survives(tmp_path, encoding):
    text = _csv_text().replace("I loved it", "Café crème naïve — €5" if encoding != "latin-1" else "Café crème naïve")
    path = tmp_path / "data.csv"
    path.write_bytes(text.encode(encoding))
    table = read_table(path)
    assert table.frame["text"].tolist()[0] == text.splitlines()[1].rsplit(",", 1)[0]
    assert table.frame.shape == (5, 2)


def test_utf16_without_bom(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(_csv_text().encode("utf-16-le"))
    assert decode_bytes(path.read_bytes())[1] == "utf-16-le"
    assert read_table(path).frame["label"].tolist() == [l for _, l in ROWS]


def test_na_like_texts_stay_text(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(_csv_text() + ",neg\n", encoding="utf-8")
    col = read_table(path).frame["text"].tolist()
    assert col[1:4] == ["NA", "None", "null"]
    assert col[5] == ""  # empty stays an empty string, not NaN


@pytest.mark.parametrize("delim,suffix", [("\t", ".tsv"), ("\t", ".txt"), (";", ".csv"), ("|", ".csv")])
def test_delimiters_are_sniffed(tmp_path, delim, suffix):
    path = tmp_path / f"d{suffix}"
    path.write_text(_csv_text(delim), encoding="utf-8")
    table = read_table(path)
    assert table.columns == ["text", "label"]
    assert table.delimiter == delim
    assert table.frame["text"].tolist()[4] == "Meh, fine"


def test_quoted_newlines_and_stray_carriage_returns(tmp_path):
    raw = ('text,label\r\n"first line\nsecond line",pos\r\n"has a \r stray return",neg\r\n'
           'plain row,pos\r\n"quote ""inside""",neg\r\n')
    path = tmp_path / "d.csv"
    path.write_bytes(raw.encode("utf-8"))
    frame = read_table(path).frame
    assert frame.shape == (4, 2)
    assert frame["text"][0] == "first line\nsecond line"
    assert "stray" in frame["text"][1] and frame["label"][1] == "neg"
    assert frame["text"][3] == 'quote "inside"'
    assert frame["label"].tolist() == ["pos", "neg", "pos", "neg"]


def test_jsonl_json_parquet_excel(tmp_path):
    df = pd.DataFrame({"text": [t for t, _ in ROWS], "label": [1, 0, 1, 0, 1]})
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in df.to_dict("records")), encoding="utf-8")
    (tmp_path / "d.json").write_text(json.dumps(df.to_dict("records")), encoding="utf-8")
    df.to_parquet(tmp_path / "d.parquet")
    df.to_excel(tmp_path / "d.xlsx", index=False)
    for name in ("d.jsonl", "d.json", "d.parquet", "d.xlsx"):
        table = read_table(tmp_path / name)
        assert table.frame["text"].tolist() == [t for t, _ in ROWS], name
        assert table.frame["label"].tolist() == ["1", "0", "1", "0", "1"], name  # numbers keep their names


def test_header_with_spaces_and_duplicate_names(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(" review text ,label,label\nnice,pos,x\n", encoding="utf-8")
    assert read_table(path).columns == ["review text", "label", "label.1"]


def test_guess_columns_by_name_and_content():
    frame = pd.DataFrame({"id": [str(i) for i in range(40)],
                          "body": [f"this is a fairly long message number {i}" for i in range(40)],
                          "category": ["a", "b"] * 20})
    assert guess_columns(frame) == ("body", "category")
    unnamed = pd.DataFrame({"c1": ["x", "y"] * 20, "c2": [f"some longer free text here {i}" for i in range(40)]})
    assert guess_columns(unnamed) == ("c2", "c1")


def test_sniffer_fallback_on_header_line():
    assert sniff_delimiter('a;b\n"multi\nline";x\n', ".csv") == ";"


@pytest.mark.parametrize("name,content,fragment", [
    ("missing.csv", None, "does not exist"),
    ("empty.csv", b"", "is empty"),
    ("blank.csv", b"\n\n  \n", "is empty"),
    ("binary.csv", bytes(range(256)) * 20, "binary file"),
    ("data.docx", b"PK\x03\x04junk", "cannot read"),
    ("broken.xlsx", b"not a zip at all", "could not be read"),
    ("broken.parquet", b"PAR1garbage", "could not be read"),
    ("header_only.csv", b"text,label\n", "no rows"),
    ("bad.jsonl", b'{"text": "a", "label": 1}\n{oops\n', "could not be read"),
    ("ragged.csv", b'text,label\n"unterminated,pos\nok,neg\n', "could not be read"),  # a quote never closed
])
def test_bad_files_give_a_plain_data_error(tmp_path, name, content, fragment):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError) as info:
        read_table(path)
    assert fragment in str(info.value)
    assert "Traceback" not in str(info.value)


def test_folder_is_refused(tmp_path):
    with pytest.raises(DataError, match="folder"):
        read_table(tmp_path)


def test_bom_utf8_header_is_clean(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(codecs.BOM_UTF8 + _csv_text().encode())
    assert read_table(path).columns[0] == "text"


def test_mixed_utf8_and_cp1252_lines_are_each_read_right_and_named(tmp_path):
    rows = [f"café crème number {i},{'pos' if i % 2 else 'neg'}" for i in range(12)]
    cp1252_lines = {3, 9}  # 1-based line numbers in the file, the header being line 1
    raw = b"".join((line + "\n").encode("cp1252" if n in cp1252_lines else "utf-8")
                   for n, line in enumerate(["text,label"] + rows, 1))
    path = tmp_path / "mixed.csv"
    path.write_bytes(raw)
    table = read_table(path)
    assert table.frame["text"].tolist() == [r.rsplit(",", 1)[0] for r in rows]  # "café", never "cafÃ©"
    assert table.encoding.startswith("utf-8")
    note = " ".join(table.notes)
    assert "Lines 3, 9" in note and "cp1252" in note


LEGACY = {
    "cp1251": ["Отличный фильм, очень понравился", "Ужасный сюжет и плохая игра актёров",
               "Неплохо, но слишком длинно", "Лучший фильм года без сомнения"],
    "shift_jis": ["この映画はとても面白かったです", "ひどい話でした。時間の無駄",
                  "俳優の演技が素晴らしい", "もう一度見たいと思います"],
    "gb18030": ["这部电影非常好看，演员表演出色", "剧情很无聊，浪费时间", "画面很美，音乐也不错", "我不推荐这部电影"],
}


@pytest.mark.parametrize("encoding", sorted(LEGACY))
def test_legacy_non_western_encodings_are_detected(tmp_path, encoding):
    texts = [f"{t} {i}" for i in range(3) for t in LEGACY[encoding]]  # a dozen rows: enough to detect
    text = "text,label\n" + "".join(f"\"{t}\",{'pos' if i % 2 else 'neg'}\n" for i, t in enumerate(texts))
    path = tmp_path / "legacy.csv"
    path.write_bytes(text.encode(encoding))
    table = read_table(path)
    assert table.frame["text"].tolist() == texts
    assert table.encoding != "cp1252" and not table.notes


def test_decode_bytes_names_the_encoding_and_adds_no_note_to_a_plain_legacy_file():
    decoded = decode_bytes("text\nnaïve café\nÜber\n".encode("cp1252"))
    assert decoded.text == "text\nnaïve café\nÜber\n"
    assert decoded.encoding == "cp1252" and decoded.notes == []
