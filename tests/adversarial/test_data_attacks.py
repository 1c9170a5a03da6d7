"""Hostile and awkward data files: mixed encodings, legacy encodings, and files too big to hold twice."""

import codecs

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core.data.tables import decode_bytes, iter_table, read_table
from desktop_app.core.base.errors import DataError

WORDS = ["café", "crème", "naïve", "Müller", "señor", "garçon", "über", "niño", "déjà", "Ærø", "façade", "größe"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4), st.booleans()),
                min_size=1, max_size=30))
def test_every_line_of_a_utf8_cp1252_mix_reads_back_and_the_minority_is_named(lines):
    raw = b"".join((" ".join(words) + "\n").encode("cp1252" if legacy else "utf-8") for words, legacy in lines)
    decoded = decode_bytes(raw)
    assert decoded.text.splitlines() == [" ".join(words) for words, _ in lines]
    cp1252 = [i for i, (_, legacy) in enumerate(lines, 1) if legacy]
    utf8 = [i for i, (_, legacy) in enumerate(lines, 1) if not legacy]
    minority = cp1252 if decoded.encoding == "utf-8" else utf8
    assert decoded.encoding in ("utf-8", "cp1252")
    assert len(utf8) >= len(cp1252) if decoded.encoding == "utf-8" else len(cp1252) > len(utf8)
    if minority:
        assert f"{'Lines' if len(minority) > 1 else 'Line'} {', '.join(map(str, minority[:10]))}" in decoded.notes[0]
    else:
        assert decoded.notes == []


def test_a_mostly_cp1252_file_with_a_few_utf8_lines(tmp_path):
    rows = [(f"crème brûlée {i}", "cp1252") for i in range(12)] + [("Müller über alles", "utf-8")]
    path = tmp_path / "d.csv"
    path.write_bytes(b"text\n" + b"".join((t + "\n").encode(e) for t, e in rows))
    table = read_table(path)
    assert table.frame["text"].tolist() == [t for t, _ in rows] and table.encoding == "cp1252"
    assert "Line 14 of this cp1252 file was UTF-8" in table.notes[0]


def _frame(n):
    return pd.DataFrame({"text": [f"text, number {i}" if i % 9 else f'two\nlines "{i}"' for i in range(n)],
                         "label": [["pos", "neg", "NA"][i % 3] for i in range(n)]})


ENCODED = {
    "utf-8-sig CRLF": lambda f: codecs.BOM_UTF8 + f.to_csv(index=False, lineterminator="\r\n").encode(),
    "utf-16 BOM": lambda f: f.to_csv(index=False).encode("utf-16"),
    "utf-16-le no BOM": lambda f: f.to_csv(index=False).encode("utf-16-le"),
    "cp1251": lambda f: f.assign(text=f.text + " Привет, как дела? Отличный").to_csv(index=False).encode("cp1251"),
    "shift_jis": lambda f: f.assign(text=f.text + " この映画はとても面白かった").to_csv(index=False).encode("shift_jis"),
    "gb18030": lambda f: f.assign(text=f.text + " 这部电影非常好看").to_csv(index=False).encode("gb18030"),
    "utf-8 then cp1252": lambda f: (f.assign(text=f.text + " déjà vu").to_csv(index=False).encode()
                                    + "café,pos\n".encode("cp1252")),  # past the head: the stream learns late
}


@pytest.mark.parametrize("name", sorted(ENCODED))
def test_the_streamed_table_equals_the_whole_table(tmp_path, name):
    path = tmp_path / "d.csv"
    path.write_bytes(ENCODED[name](_frame(6000)))  # more than the 64 KB the stream sniffs from
    whole = read_table(path)
    chunks = list(iter_table(path, chunk_rows=1000))
    assert [len(c.frame) for c in chunks][:-1] == [1000] * (len(chunks) - 1)
    assert pd.concat([c.frame for c in chunks], ignore_index=True).equals(whole.frame.reset_index(drop=True))
    assert chunks[-1].encoding == whole.encoding and chunks[-1].notes == whole.notes
    assert whole.frame.shape[0] == 6000 + (name == "utf-8 then cp1252")


def test_chunks_are_bounded_and_come_before_the_end_of_the_file_is_read(tmp_path):
    path = tmp_path / "big.csv"
    body = "".join(f"row number {i} of a long file,pos\n" for i in range(100_000))
    path.write_text("text,label\n" + body + '"an unterminated quote at the very end,neg\n', encoding="utf-8")
    with pytest.raises(DataError):  # the whole-file reader meets the damage before returning anything
        read_table(path)
    chunks = iter_table(path, chunk_rows=500)
    first = next(chunks)  # the stream has not reached the damage yet: it reads as it goes
    assert len(first.frame) == 500 and first.frame["text"].iloc[0] == "row number 0 of a long file"
    sizes = []
    with pytest.raises(DataError, match="could not be read"):
        for chunk in chunks:
            sizes.append(len(chunk.frame))
    assert max(sizes) <= 500 and sum(sizes) >= 90_000


@pytest.mark.parametrize("content,fragment", [(b"", "is empty"), (b" \n\n", "is empty"),
                                               (b"text,label\n", "no rows"), (bytes(range(256)) * 20, "binary")])
def test_the_stream_refuses_what_read_table_refuses(tmp_path, content, fragment):
    path = tmp_path / "d.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=fragment):
        list(iter_table(path))
