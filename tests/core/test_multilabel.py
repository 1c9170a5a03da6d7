"""Multi-label label columns are recognised (and, for now, named in the data report)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.core.multilabel import sniff


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


def test_the_data_report_says_so(tmp_path):
    from desktop_app.core.dataset import inspect

    path = tmp_path / "news.csv"
    rows = [("markets fell", "finance"), ("new phone", "tech"), ("chip stocks rally", "finance;tech"),
            ("election debate", "politics"), ("tax bill vote", "politics;finance")] * 8
    path.write_text("text,topics\n" + "\n".join(f"{t} {i},{lab}" for i, (t, lab) in enumerate(rows)))
    report, _ = inspect(path)
    warning = next(w for w in report.warnings if "multi-label" in w)
    assert "3 labels joined by “;”" in warning and "each combination is trained as a class" in warning
