"""The data report in plain words, and the stratified split."""

from collections import Counter

import pytest

from desktop_app.core.data.dataset import Examples, inspect, load_dataset, stratified_split
from desktop_app.core.base.errors import DataError


def _write(tmp_path, rows, header="text,label"):
    path = tmp_path / "d.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_report_counts_skips_duplicates_and_conflicts(tmp_path):
    rows = [f"text number {i},{'a' if i % 2 else 'b'}" for i in range(40)]
    rows += [",a", "no label here,", "text number 1,a", "text number 2,a"]  # empty, missing, dup, conflict
    report, examples = inspect(_write(tmp_path, rows))
    assert report.rows_read == 44
    assert report.skipped == {"empty text": 1, "missing label": 1, "duplicate of an earlier row": 1}
    assert report.duplicates == 1 and report.conflicting_duplicates == 1
    assert report.rows_usable == 41 == len(examples)
    assert report.class_counts == {"a": 21, "b": 20}
    text = " ".join(report.warnings)
    assert "1 row skipped: empty text" in text and "different labels" in text
    assert report.ok


def test_numeric_labels_keep_their_names_in_natural_order(tmp_path):
    rows = [f"sample {i},{[2, 10, 1][i % 3]}" for i in range(30)]
    ds = load_dataset(_write(tmp_path, rows))
    assert ds.label_map.names == ("1", "2", "10")


def test_single_class_is_a_blocking_error(tmp_path):
    report, _ = inspect(_write(tmp_path, [f"t {i},same" for i in range(10)]))
    assert not report.ok and "Only one class" in report.errors[0]
    with pytest.raises(DataError, match="Only one class"):
        load_dataset(tmp_path / "d.csv")


def test_wrong_label_column_is_implausible(tmp_path):
    rows = [f"text {i},id{i}" for i in range(60)]
    report, _ = inspect(_write(tmp_path, rows, "text,label"), label_column="label")
    assert not report.ok and "looks like text or IDs" in report.errors[0]


def test_unknown_or_same_columns(tmp_path):
    path = _write(tmp_path, [f"t {i},{i % 2}" for i in range(10)])
    assert "no column named “nope”" in inspect(path, text_column="nope")[0].errors[0]
    assert "must be different" in inspect(path, text_column="text", label_column="text")[0].errors[0]


def test_no_usable_rows(tmp_path):
    report, _ = inspect(_write(tmp_path, [",a", ",b", "x,", "y,"]), "text", "label")
    assert not report.ok and "No usable examples" in report.errors[0]


def test_small_classes_imbalance_and_long_texts_are_warned(tmp_path):
    rows = [f"common example {i},big" for i in range(100)] + ["lonely,tiny"] + \
           [f"rare {i},rare" for i in range(3)] + [("word " * 400) + ",big"]
    report, _ = inspect(_write(tmp_path, rows), token_limit=128, count_tokens=lambda ts: [len(t.split()) for t in ts])
    text = " | ".join(report.warnings)
    assert "tiny" in text and "single example" in text
    assert "Very few examples" in text and "rare" in text
    assert "very unbalanced" in text and "class weighting" in text
    assert report.long_texts == 1 and "longer than the 128-token limit" in text


def test_stratified_split_keeps_proportions_and_is_seeded():
    ex = Examples([f"t{i}" for i in range(300)], ["a"] * 200 + ["b"] * 90 + ["c"] * 9 + ["d"])
    s1 = stratified_split(ex, validation=0.2, test=0.1, seed=1)
    s2 = stratified_split(ex, validation=0.2, test=0.1, seed=1)
    assert s1.train.texts == s2.train.texts
    val = Counter(s1.validation.labels)
    assert val["a"] == 40 and val["b"] == 18 and val["c"] == 2 and val["d"] == 0  # d: single example
    assert Counter(s1.test.labels)["a"] == 20
    assert len(s1.train) + len(s1.validation) + len(s1.test) == 300
    assert not set(s1.train.texts) & set(s1.validation.texts)
    assert stratified_split(ex, 0.2, seed=2).validation.texts != s1.validation.texts


@pytest.mark.parametrize("validation", [0.1, 0.15, 0.2])
def test_every_class_of_two_to_six_examples_gets_one_validation_row_and_keeps_the_rest(validation):
    """A share of a small class rounds to 0 (2 x 15% = 0.3): without its one row, the validation score would
    say nothing about that class."""
    sizes = {"big": 200, **{f"n{n}": n for n in range(2, 7)}}
    labels = [name for name, n in sizes.items() for _ in range(n)]
    ex = Examples([f"text {i}" for i in range(len(labels))], labels)
    for seed in (1, 2):
        splits = stratified_split(ex, validation=validation, seed=seed)
        val, train = Counter(splits.validation.labels), Counter(splits.train.labels)
        for n in range(2, 7):
            assert val[f"n{n}"] == 1 and train[f"n{n}"] == n - 1, (n, seed)
        assert val["big"] == round(200 * validation)


def test_split_fraction_validation():
    with pytest.raises(DataError):
        stratified_split(Examples(["a", "b"], ["x", "y"]), validation=0.95)


@pytest.mark.timeout(60)  # was quadratic: 20,000 distinct labels did not finish in 600 s
def test_id_like_label_column_is_refused_at_once(tmp_path):
    rows = [f"some text number {i},id-{i:05d}" for i in range(20_000)]
    report, _ = inspect(_write(tmp_path, rows), "text", "label")
    assert not report.ok and "20,000 different values" in report.errors[0]
    assert "looks like text or IDs" in report.errors[0]
    assert len(report.class_counts) <= 20  # a sample for the user, not 20,000 lines to print


def test_class_counts_are_in_label_map_order(tmp_path):
    rows = [f"row {i},{['class 10', 'class 2', 'B', 'a'][i % 4]}" for i in range(40)]
    report, _ = inspect(_write(tmp_path, rows))
    assert list(report.class_counts) == ["a", "B", "class 2", "class 10"]


def test_prepare_training_data_is_the_one_seeded_split():
    from dataclasses import replace

    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import prepare_training_data

    ex = Examples([f"text {i}" for i in range(200)], ["a" if i % 3 else "b" for i in range(200)])
    config = TrainConfig(small_data="off", validation_fraction=0.2, test_fraction=0.1, seed=5)
    one, again = prepare_training_data(ex, config), prepare_training_data(ex, config)
    assert one.validation.texts == again.validation.texts and len(one.test) > 0
    other = prepare_training_data(ex, replace(config, seed=6))
    assert other.validation.texts != one.validation.texts  # the GUI once split without the seed


def test_a_validation_file_keeps_the_test_share_and_refuses_unknown_labels(tmp_path):
    from desktop_app.core.model.config import TrainConfig
    from desktop_app.core.data.dataset import prepare_training_data
    from desktop_app.core.base.errors import DataError

    ex = Examples([f"text {i}" for i in range(100)], ["a" if i % 2 else "b" for i in range(100)])
    val = tmp_path / "val.csv"
    val.write_text("text,label\n" + "\n".join(f"v {i},{'a' if i % 2 else 'b'}" for i in range(20)) + "\n")
    config = TrainConfig(test_fraction=0.2, text_column="text", label_column="label")
    splits = prepare_training_data(ex, config, val)
    assert len(splits.validation) == 20 and len(splits.test) == 20 and len(splits.train) == 80
    val.write_text("text,label\n" + "\n".join(f"v {i},{'a' if i % 2 else 'c'}" for i in range(20)) + "\n")
    with pytest.raises(DataError, match="labels the training file lacks: c"):
        prepare_training_data(ex, config, val)


@pytest.mark.parametrize("make, kind", [
    (lambda i: f"{i * 37.5:.2f}", "numbers"),
    (lambda i: f"\"{1000 + i * 13:,}\"", "numbers"),
    (lambda i: f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", "dates"),
    (lambda i: f"{1 + i % 12}/{1 + i % 28}/2023 10:{i % 60:02d}", "dates"),
    (lambda i: f"ORD-{100000 + i}", "IDs"),
    (lambda i: f"8f3a{i:04x}-1c2d-4e5f-9a8b-{i:012x}", "IDs"),
    (lambda i: ["US", "FR", "DE", "GB", "ES"][i % 5], "very short codes"),
])
def test_a_text_column_that_is_not_text_is_warned(tmp_path, make, kind):
    rows = [f"{make(i)},{'a' if i % 2 else 'b'}" for i in range(120)]
    report, _ = inspect(_write(tmp_path, rows), "text", "label")
    assert report.ok and any(f"looks like {kind}, not text" in w for w in report.warnings), report.warnings


@pytest.mark.parametrize("texts", [
    [f"I loved this film, {i} stars" for i in range(120)],
    [f"Order {i} arrived late and broken" for i in range(120)],
    [f"great{i}" if i % 2 else f"awful product number {i}" for i in range(120)],
])
def test_real_text_is_not_mistaken_for_codes(tmp_path, texts):
    rows = [f"{t},{'a' if i % 2 else 'b'}" for i, t in enumerate(texts)]
    report, _ = inspect(_write(tmp_path, rows), "text", "label")
    assert not any("not text" in w for w in report.warnings), report.warnings


def test_duplicate_grammar_singular_and_plural(tmp_path):
    one = [f"text {i},{'a' if i % 2 else 'b'}" for i in range(40)] + ["text 1,b"]
    report, _ = inspect(_write(tmp_path, one))
    assert any(w.startswith("1 text appears with different labels") for w in report.warnings), report.warnings
    two = one + ["text 2,a"]
    report, _ = inspect(_write(tmp_path, two))
    assert any(w.startswith("2 texts appear with different labels") for w in report.warnings), report.warnings
