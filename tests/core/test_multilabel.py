"""Multi-label data (joined cells, 0/1 columns), its split, metrics, thresholds, settings and manifests."""

import json
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny_models import toy_multilabel

from desktop_app.core.model.config import TrainConfig
from desktop_app.core.data.dataset import Examples, inspect, stratified_split
from desktop_app.core.base.errors import ConfigError, DataError
from desktop_app.core.metrics.reports import EvalReport
from desktop_app.core.data.multilabel import LabelSpec, override_thresholds, sniff
from desktop_app.core.metrics.multilabel_metrics import (decide, indicator, multilabel_report, multilabel_scores,
                                                 tune_thresholds)
from desktop_app.core.train.objectives import positive_weights
from desktop_app.core.data.stratify import iterative_split


def test_joined_labels_are_recognised_with_their_separator_and_rate():
    cells = ["sports;politics", "sports", "politics", "tech", "tech;sports", "politics", "tech"] * 5
    found = sniff(cells)
    assert found.separator == ";" and set(found.labels) == {"sports", "politics", "tech"}
    assert found.multi_rows == 10 and round(found.per_row, 2) == round(45 / 35, 2)
    assert found.describe() == "multi-label: 3 labels joined by “;”, 1.3 per row on average"
    assert sniff(["a | b", "a", "b", "c | a", "c"] * 3).separator == "|"


def test_labels_that_merely_contain_a_comma_are_not_multi_label():
    places = ["New York, NY", "Paris, France", "Austin, TX", "Rome, Italy"] * 10
    assert sniff(places) is None  # no part of a joined cell comes back elsewhere
    assert sniff(["positive", "negative", "neutral"] * 20) is None
    assert sniff(["a;b"] + ["a", "b"] * 50) is None  # one joined cell in 101 is a typo, not a format


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["spam", "ham", "eggs", "bacon"]), min_size=1, max_size=200))
def test_single_label_data_is_never_taken_for_multi_label(cells):
    assert sniff(cells) is None


def _news(tmp_path, rows, header="text,topics"):
    path = tmp_path / "news.csv"
    path.write_text(header + "\n" + "\n".join(f"{t} {i},{lab}" for i, (t, lab) in enumerate(rows)), encoding="utf-8")
    return path


NEWS = [("markets fell", "finance"), ("new phone", "tech"), ("chip stocks rally", "finance;tech"),
        ("election debate", "politics"), ("tax bill vote", "politics;finance")] * 8


def test_a_joined_label_column_is_read_as_label_sets_and_the_report_says_so(tmp_path):
    report, examples = inspect(_news(tmp_path, NEWS))
    assert report.ok and report.multi_label and report.label_separator == ";"
    assert report.describe_labels() == "multi-label: 3 labels joined by “;” in “topics”, 1.4 per row on average"
    assert report.class_counts == {"finance": 24, "politics": 16, "tech": 16}  # texts per label, not per combination
    assert examples.multi_label and examples.labels[2] == ("finance", "tech")
    assert examples.labels[4] == ("finance", "politics")  # in label order, whatever the cell's order
    assert not any("combination" in w for w in report.warnings)


def test_one_label_per_text_can_be_forced_and_then_warns_about_combinations(tmp_path):
    report, examples = inspect(_news(tmp_path, NEWS), labels=LabelSpec(multi_label=False))
    assert not report.multi_label and "finance;tech" in report.class_counts
    warning = next(w for w in report.warnings if "multi-label" in w)
    assert "3 labels joined by “;”" in warning and "each combination is trained as a class" in warning


def test_a_given_separator_and_a_forced_multi_label_read_single_labels_as_sets(tmp_path):
    rows = [("a b", "x/y"), ("c d", "x"), ("e f", "y")] * 5
    report, examples = inspect(_news(tmp_path, rows), labels=LabelSpec(True, "/"))
    assert report.multi_label and examples.labels[0] == ("x", "y")
    report, examples = inspect(_news(tmp_path, [("a", "x"), ("b", "y")] * 5), labels=LabelSpec(multi_label=True))
    assert report.multi_label and examples.labels[:2] == [("x",), ("y",)]


def test_rows_without_labels_are_skipped_unless_they_mean_none_of_these(tmp_path):
    rows = NEWS + [("weather today", ""), ("sunny", ";")]
    report, examples = inspect(_news(tmp_path, rows))
    assert len(examples) == len(NEWS) and sum(report.skipped.values()) == 2
    assert any("none of these" in w for w in report.warnings)
    assert report.rows_without_labels == 2
    report, examples = inspect(_news(tmp_path, rows), labels=LabelSpec(none_of_these=True))
    assert len(examples) == len(NEWS) + 2 and examples.labels[-2:] == [(), ()] and report.none_rows == 2
    assert report.describe_labels().endswith("; 2 rows with none of them") and report.rows_without_labels == 2


def test_several_yes_no_columns_become_the_labels_without_flags(tmp_path):
    path = tmp_path / "toxic.csv"
    lines = ["id,comment,toxic,obscene,insult"] + [
        f"{i},comment number {i} {'you idiot' * (i % 3 == 0)},{['1', 'yes', 'TRUE'][i % 3] if i % 3 == 0 else '0'},"
        f"{'1' if i % 4 == 0 else '0'},{'true' if i % 5 == 0 else 'false'}" for i in range(60)]
    path.write_text("\n".join(lines), encoding="utf-8")
    report, examples = inspect(path, labels=LabelSpec(none_of_these=True))
    assert report.ok and report.label_columns == ["toxic", "obscene", "insult"] and report.label_column is None
    assert examples.labels[0] == ("insult", "obscene", "toxic") and examples.labels[1] == ()
    assert report.describe_labels().startswith("multi-label: 3 labels from 3 yes/no columns")
    report, examples = inspect(path)  # all-zero rows: skipped, said so
    assert len(examples) == sum(1 for i in range(60) if i % 3 == 0 or i % 4 == 0 or i % 5 == 0)


def test_yes_no_columns_beside_a_label_column_stay_single_label(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text("review,label,verified,helpful\n" + "\n".join(
        f"review text {i},{'pos' if i % 2 else 'neg'},{i % 2},{(i // 2) % 2}" for i in range(40)), encoding="utf-8")
    report, _ = inspect(path)
    assert not report.multi_label and report.label_column == "label"


def test_bad_cells_in_label_columns_are_skipped_with_a_reason(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,a,b\n" + "\n".join(f"text {i},{1 if i % 2 else 0},{0 if i % 2 else 1}" for i in range(30))
                    + "\ntext x,maybe,1\ntext y,,1\n", encoding="utf-8")
    report, examples = inspect(path, labels=LabelSpec(columns=("a", "b")))
    assert len(examples) == 31 and examples.labels[-1] == ("b",)  # a blank cell: not this label
    assert report.skipped == {"a label cell that is not 0/1 (yes/no)": 1}
    assert not any("None" in w for w in report.warnings + report.errors)


def test_one_label_column_chosen_as_several_is_refused_in_words(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text,a,b\n" + "\n".join(f"text {i},{i % 2},{1 - i % 2}" for i in range(30)), encoding="utf-8")
    report, _ = inspect(path, labels=LabelSpec(columns=("a",)))
    assert not report.ok and "at least two 0/1 label columns" in report.errors[0]
    for spec, said in ((LabelSpec(separator=""), "1 to 5 visible characters"),
                       (LabelSpec(separator="\t"), "1 to 5 visible characters"),
                       (LabelSpec(columns=("a", "a")), "different columns"),
                       (LabelSpec(multi_label=False, separator=";"), "not one"),
                       (LabelSpec(multi_label=False, columns=("a", "b")), "not one"),
                       (LabelSpec(multi_label=False, none_of_these=True), "not one")):
        report, _ = inspect(path, labels=spec)  # the same rule as the settings (TrainConfig.validate)
        assert not report.ok and said in report.errors[0], spec
    report, _ = inspect(path, labels=LabelSpec(columns=("a", "nope")))
    assert not report.ok and "no column named “nope”" in report.errors[0]


def _flags(tmp_path, columns, rows):
    path = tmp_path / "flags.csv"
    path.write_text("review," + ",".join(columns) + "\n" + "\n".join(
        f"review number {i}," + ",".join(map(str, row)) for i, row in enumerate(rows)), encoding="utf-8")
    return path


def test_a_label_and_a_yes_no_flag_stay_one_label_per_text_with_a_hint(tmp_path):
    rng = random.Random(0)
    path = _flags(tmp_path, ["positive", "verified"], [(i % 2, rng.randint(0, 1)) for i in range(60)])
    report, examples = inspect(path)
    assert not report.multi_label and report.rows_usable == 60 and report.label_column in ("positive", "verified")
    assert any("hold yes/no values" in w and "several labels per text" in w for w in report.warnings)


def test_one_hot_columns_that_never_co_occur_are_not_taken_for_label_sets(tmp_path):
    path = _flags(tmp_path, ["cat", "dog", "bird"], [tuple(int(j == i % 3) for j in range(3)) for i in range(60)])
    assert not inspect(path)[0].multi_label


def test_a_stray_cell_does_not_hide_a_yes_no_label_table(tmp_path):
    rows = [(int(i % 2 == 0), int(i % 3 == 0), int(i % 5 == 0)) for i in range(99)] + [(2, 0, 1)]
    report, examples = inspect(_flags(tmp_path, ["a", "b", "c"], rows), labels=LabelSpec(none_of_these=True))
    assert report.multi_label and report.label_columns == ["a", "b", "c"]
    assert report.skipped == {"a label cell that is not 0/1 (yes/no)": 1} and len(examples) == 99


def test_yes_and_blank_cells_read_as_label_sets(tmp_path):
    rows = [("yes" if i % 2 else "", "yes" if i % 3 == 0 else "", "x" if False else ("yes" if i % 4 == 0 else ""))
            for i in range(40)]
    report, examples = inspect(_flags(tmp_path, ["a", "b", "c"], rows), labels=LabelSpec(columns=("a", "b", "c")))
    assert report.ok and examples.labels[0] == ("b", "c") and examples.labels[1] == ("a",)


def test_list_cells_from_json_lines_and_parquet_are_label_sets(tmp_path):
    import pandas as pd

    rows = [{"text": f"story {i}", "labels": [["sports"], ["politics"], ["sports", "politics"], ["tech"]][i % 4]}
            for i in range(40)]
    (tmp_path / "l.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    pd.DataFrame(rows).to_parquet(tmp_path / "l.parquet")
    for name in ("l.jsonl", "l.parquet"):
        report, examples = inspect(tmp_path / name)
        assert report.multi_label and set(report.class_counts) == {"politics", "sports", "tech"}, name
        assert examples.labels[2] == ("politics", "sports")


def test_many_labels_are_fine_up_to_the_limit_and_then_refused_in_words(tmp_path):
    tags = [f"tag{j}" for j in range(29)]
    rows = [(f"text {i}", f"{tags[i % 29]};{tags[(i * 7) % 29]}") for i in range(50)]
    report, _ = inspect(_news(tmp_path, rows), labels=LabelSpec(multi_label=True))
    assert report.ok  # 29 tags over 50 rows: label sets, not IDs
    rows = [(f"text {i}", f"t{i};t{i + 1}") for i in range(230)]
    report, _ = inspect(_news(tmp_path, rows), labels=LabelSpec(multi_label=True))
    assert not report.ok and "231 different labels" in report.errors[0] and "at most 200" in report.errors[0]


def test_labels_that_differ_only_in_capitals_are_pointed_out(tmp_path):
    rows = [("a", "Praise;story"), ("b", "praise"), ("c", "story")] * 10
    report, _ = inspect(_news(tmp_path, rows), labels=LabelSpec(multi_label=True))
    assert any("differ only in capitals" in w and "“Praise” / “praise”" in w for w in report.warnings)


def test_a_separator_that_joins_nothing_is_pointed_out(tmp_path):
    report, examples = inspect(_news(tmp_path, NEWS), labels=LabelSpec(True, "|"))
    assert any("No cell of “topics” holds “|”" in w and "seem joined by “;”" in w for w in report.warnings)
    report, _ = inspect(_news(tmp_path, NEWS), labels=LabelSpec(True, ";"))
    assert not any("No cell" in w for w in report.warnings)


def test_same_text_same_set_in_another_order_is_a_duplicate(tmp_path):
    path = _news(tmp_path, NEWS)
    path.write_text(path.read_text() + "\nchip stocks rally 2,tech;finance\nchip stocks rally 2,tech", encoding="utf-8")
    report, examples = inspect(path)
    assert report.duplicates == 1 and report.conflicting_duplicates == 1


# ---------------------------------------------------------------- split
def test_iterative_stratification_keeps_every_label_near_its_share_and_loses_no_row():
    rng = random.Random(3)
    names = ["common", "mid", "rare", "rarer"]
    weights = [0.8, 0.4, 0.1, 0.04]
    sets = [tuple(n for n, w in zip(names, weights) if rng.random() < w) for _ in range(1000)]
    parts = iterative_split(sets, (0.7, 0.2, 0.1), seed=1)
    assert sorted(i for p in parts for i in p) == list(range(1000))
    for name in names:
        total = sum(name in s for s in sets)
        for share, part in zip((0.7, 0.2, 0.1), parts):
            assert abs(sum(name in sets[i] for i in part) - share * total) <= 2, name
    assert [len(p) for p in parts] == pytest.approx([700, 200, 100], abs=10)
    assert iterative_split(sets, (0.7, 0.2, 0.1), seed=1) == parts  # seeded


def test_a_random_split_would_not_do_as_well():
    """The point of iterative stratification: a plain shuffled split misses rare labels' shares."""
    sets = [("rare",) if i < 20 else ("common",) for i in range(1000)]
    worst = 0
    for seed in range(20):
        ids = list(range(1000))
        random.Random(seed).shuffle(ids)
        worst = max(worst, abs(sum(sets[i] == ("rare",) for i in ids[:150]) - 3))
    parts = iterative_split(sets, (0.85, 0.15), seed=0)
    assert sum(sets[i] == ("rare",) for i in parts[1]) == 3 and worst >= 2


def test_the_split_of_multi_label_examples_is_stratified_and_keeps_them_multi_label():
    ex = toy_multilabel(300, seed=1)
    splits = stratified_split(ex, validation=0.2, test=0.1, seed=4)
    assert splits.train.multi_label and splits.validation.multi_label and splits.test.multi_label
    assert len(splits.train) + len(splits.validation) + len(splits.test) == 300
    for name in ("praise", "complaint", "story"):
        total = sum(name in s for s in ex.labels)
        assert abs(sum(name in s for s in splits.validation.labels) - 0.2 * total) <= 2


def test_the_split_serves_each_label_not_each_combination_of_labels():
    """Most label sets here occur once or twice, and six labels are rare (7 rows each). Stratifying by the whole
    combination (a set seen once stays in training) misses labels' shares by 1.6 to 5 rows at these seeds;
    the iterative split gives every label its share to the nearest row."""
    rng = random.Random(0)
    common = {"a": 0.5, "b": 0.4, "c": 0.3, "d": 0.2}
    sets = [{k for k, p in common.items() if rng.random() < p} for _ in range(240)]
    for r in range(6):
        for i in rng.sample(range(240), 7):
            sets[i].add(f"rare{r}")
    ex = Examples([f"text {i}" for i in range(240)], [tuple(sorted(s)) for s in sets], multi_label=True)
    names = sorted(set().union(*sets))
    for seed in range(3):
        validation = stratified_split(ex, validation=0.15, seed=seed).validation
        assert len(validation) == 36
        for name in names:
            share = 0.15 * sum(name in s for s in sets)
            assert abs(sum(name in s for s in validation.labels) - share) <= 1, (seed, name)


# ---------------------------------------------------------------- metrics and thresholds
def test_the_metrics_match_their_definitions_on_a_hand_checked_case():
    truth = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
    pred = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 0]], dtype=bool)
    s = multilabel_scores(truth, pred)
    # tp = 4 (a, b, a, b), fp = 1 (row 1: c), fn = 1 (row 0: c)
    assert s["micro_f1"] == pytest.approx(8 / 10)
    assert s["accuracy"] == pytest.approx(2 / 4) and s["hamming_loss"] == pytest.approx(2 / 12)
    assert list(s["f1"]) == pytest.approx([1.0, 1.0, 0.0]) and s["macro_f1"] == pytest.approx(2 / 3)
    assert list(s["missed"]) == [0, 0, 1] and list(s["added"]) == [0, 0, 1]


def test_a_label_given_where_it_never_applies_counts_in_macro_f1():
    s = multilabel_scores(np.array([[1, 0], [1, 0]], dtype=bool), np.array([[1, 1], [1, 1]], dtype=bool))
    assert s["macro_f1"] == pytest.approx(0.5)  # as scikit-learn: label b, predicted twice, never true: F1 0
    empty = multilabel_scores(np.zeros((2, 2), dtype=bool), np.zeros((2, 2), dtype=bool))
    assert empty["macro_f1"] == 0.0 and empty["micro_f1"] == 1.0  # nothing to find, nothing given: all right


def test_training_metrics_score_with_tuned_thresholds_so_an_early_model_is_not_zero():
    """An early multi-label model's probabilities all sit below 0.5: at 0.5 it gives no label and scores 0,
    and early stopping would end a run that is learning. Scored as the finished model is (thresholds tuned),
    the ranking it has learnt counts."""
    from types import SimpleNamespace

    from desktop_app.core.data.label_map import LabelMap
    from desktop_app.core.train.objectives import MultiLabel

    rng = np.random.default_rng(1)
    truth = rng.random((200, 3)) < 0.3
    logits = np.where(truth, -0.6, -1.5) + rng.normal(0, 0.1, (200, 3))  # below 0 (p < 0.5), but ranked right
    metrics = MultiLabel(LabelMap(("a", "b", "c"))).metrics(SimpleNamespace(predictions=logits,
                                                                            label_ids=truth.astype(float)))
    assert multilabel_scores(truth, logits > 0)["micro_f1"] == 0.0 and metrics["micro_f1"] > 0.9


def test_a_model_that_gives_every_label_to_every_text_is_recognised():
    from desktop_app.core.train.objectives import gives_every_label

    labels = ["a", "b"]
    truth = indicator([("a",), ("b",), ("a", "b"), ()] * 5, labels)
    assert gives_every_label(multilabel_report(["t"] * 20, truth, np.full((20, 2), 0.6), labels))
    probs = np.where(truth, 0.9, 0.1)
    assert not gives_every_label(multilabel_report(["t"] * 20, truth, probs, labels))


def test_thresholds_are_tuned_per_label_to_the_best_f1_and_rare_labels_keep_one_half():
    rng = np.random.default_rng(0)
    truth = rng.random((400, 3)) < 0.3
    probs = np.where(truth, 0.3, 0.1) + rng.random((400, 3)) * 0.05  # positives sit at 0.30-0.35: 0.5 misses them
    probs[:, 2] = np.where(truth[:, 2], 0.9, 0.05)
    truth[:, 1], probs[:, 1] = False, 0.2
    truth[:2, 1] = True  # two positives: too few to tune
    cuts = tune_thresholds(probs, truth)
    assert 0.15 <= cuts[0] <= 0.3 and cuts[1] == 0.5 and cuts[2] == 0.5  # 0.5 is as good as any: the nearest
    assert multilabel_scores(truth, decide(probs, cuts))["micro_f1"] > multilabel_scores(truth, decide(probs, None))["micro_f1"]


def test_the_report_names_missed_and_added_labels_and_puts_confident_mistakes_first():
    labels = ["a", "b", "c"]
    truth = indicator([("a",), ("a", "b"), ("c",)], labels)
    probs = np.array([[0.9, 0.6, 0.1], [0.8, 0.2, 0.1], [0.1, 0.1, 0.99]])
    report = multilabel_report(["t0", "t1", "t2"], truth, probs, labels, [0.5, 0.5, 0.5])
    assert report.multi_label and report.confusion == [] and report.accuracy == pytest.approx(1 / 3)
    assert [(m.text, m.missed, m.added) for m in report.mistakes] == [("t1", ["b"], []), ("t0", [], ["b"])]
    assert report.mistakes[0].true_label == "a;b" and report.mistakes[0].predicted == "a"
    assert [(e.label, e.missed, e.added) for e in report.label_errors] == [("a", 0, 0), ("b", 1, 1), ("c", 0, 0)]
    again = EvalReport.from_dict(report.to_dict())
    assert again.label_errors == report.label_errors and again.mistakes == report.mistakes


def test_positive_weights_follow_rarity_and_are_capped():
    targets = [[1, 0, 0]] * 10 + [[0, 1, 0]] * 90 + [[0, 0, 0]] * 900
    w = positive_weights(targets)
    assert w[0] == 30.0 and w[1] == pytest.approx(910 / 90) and w[2] == 30.0  # no positive: capped, not inf


# ---------------------------------------------------------------- settings and hostile manifests
def test_label_settings_are_validated_and_survive_a_json_round_trip():
    cfg = TrainConfig(multi_label=True, label_separator="|", label_columns=("a", "b"), none_of_these=True)
    assert TrainConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    for bad in ({"label_separator": ""}, {"label_separator": "   "}, {"label_separator": "\x1b[2J"},
                {"label_columns": ("a", "a")}, {"label_columns": ("a", "b"), "multi_label": False},
                {"label_columns": ("a", "b"), "label_column": "c"}):
        with pytest.raises(ConfigError):
            TrainConfig(**bad).validate()
    with pytest.raises(ConfigError, match="label_columns"):
        TrainConfig.from_dict({"label_columns": [1, 2]})
    for bad in ({"multi_label": False, "label_separator": ";"}, {"multi_label": False, "none_of_these": True},
                {"label_columns": ("a",)}):
        with pytest.raises(ConfigError):
            TrainConfig(**bad).validate()


def _manifest(**changes):
    from desktop_app.core.artifacts.manifest import FORMAT

    data = {"format": FORMAT, "format_version": 1, "labels": ["a", "b", "c"], "max_length": 64,
            "base_model": {"ref": "x", "fingerprint": "0" * 64}, "task": "multi_label", "thresholds": [0.5, 0.3, 0.7]}
    data.update(changes)
    return data


@pytest.mark.parametrize("changes", [
    {"thresholds": None}, {"thresholds": [0.5, 0.5]}, {"thresholds": [0.5, 0.5, 1.5]}, {"thresholds": [0.5, True, 0.5]},
    {"thresholds": [0.5, float("nan"), 0.5]}, {"thresholds": "0.5"}, {"task": "regression"},
    {"task": "text-classification"},  # thresholds on a single-label model: a forged or mixed-up manifest
    {"metrics": {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3, "labels": ["a", "b", "c"],
                                "thresholds": [2, 0, 0]}}},
    {"metrics": {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3, "micro_f1": 7}}},
    {"metrics": {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3,
                                "mistakes": [{"text": "t", "missed": [1]}]}}},
    {"metrics": {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3,
                                "label_errors": [{"label": "a", "missed": "2"}]}}},
    {"metrics": {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3,
                                "label_errors": [{"label": "a", "missed": -2, "added": 0}]}}},
    # the task told three times must agree: a model read as the wrong kind predicts silently wrong
    {"config": {"multi_label": False}},
    {"metrics": {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3, "task": "single_label"}}},
    {"metrics": {"validation": {"accuracy": 0.5, "macro_f1": 0.5, "examples": 3}}},  # no task: single-label
])
def test_hostile_multi_label_manifests_are_refused(changes):
    from desktop_app.core.base.errors import AdapterError
    from desktop_app.core.artifacts.manifest import Manifest

    assert Manifest.from_dict(_manifest()).thresholds == (0.5, 0.3, 0.7)
    assert Manifest.from_dict(_manifest(config={"multi_label": True})).task == "multi_label"
    with pytest.raises(AdapterError):
        Manifest.from_dict(_manifest(**changes))


def test_a_single_label_manifest_that_claims_label_sets_is_refused():
    from desktop_app.core.base.errors import AdapterError
    from desktop_app.core.artifacts.manifest import Manifest

    data = _manifest(task="text-classification", thresholds=None, config={"multi_label": True})
    with pytest.raises(AdapterError, match="disagree"):
        Manifest.from_dict(data)


def test_thresholds_given_by_the_user_are_checked():
    assert override_thresholds(["a", "b"], [0.4, 0.6], ["0.3"]) == [0.3, 0.3]
    assert override_thresholds(["a", "b"], [0.4, 0.6], ["b=0.9"]) == [0.4, 0.9]
    assert override_thresholds(["a=b", "c"], None, ["a=b=0.2"]) == [0.2, 0.5]  # a label may hold "="
    assert override_thresholds(["a", "b"], None, [" b = 0.2 ", "a=-0"]) == [0.0, 0.2]
    assert str(override_thresholds(["a"], None, ["-0"])[0]) == "0.0"
    for bad in (["1.5"], ["x=0.2"], ["a=high"], ["nan"]):
        with pytest.raises(DataError):
            override_thresholds(["a", "b"], None, bad)
