"""Help › Getting started: what each step does, what the numbers mean, and LoRA in two sentences."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

GETTING_STARTED = """
<h2>Getting started</h2>
<p>LoRA Studio teaches a language model to sort texts into your own categories, on this computer,
in four steps. The button at the bottom right of each page leads to the next one.</p>
<ol>
<li><b>Dataset</b> — open a table (CSV, Excel, JSON Lines, Parquet) with one column of texts and one of
labels, or try the sample dataset. LoRA Studio finds the columns, counts the examples of each class and
lists any problem; a red one must be fixed before training.</li>
<li><b>Configure</b> — keep the suggested settings or pick a preset (Quick, Balanced, Thorough). The page
shows how long training will take, measured on this computer. <i>Advanced settings</i> hold the rest. <i>Start training</i> moves on to step 3.</li>
<li><b>Train</b> — watch the loss fall and the score rise. <i>Stop</i> keeps nothing; <i>Stop and keep the
best epoch</i> saves the best epoch so far. Then read the results, and <i>Export adapter…</i> saves the model
as a small .zip to share or load again (File › Open adapter…).</li>
<li><b>Predict</b> — type a text to see its label, or classify a whole file and save the results.</li>
</ol>
<h3>What the numbers mean</h3>
<ul>
<li><b>Epoch</b>: one pass over all your training examples. Left on Automatic, small data gets more epochs
so the model gets about 120 updates; a number you type runs exactly. The Configure page says how many will run
and why.</li>
<li><b>Max length</b>: the longest text, in tokens (word pieces), the model reads; by default the length that
covers 98% of your texts, at most the preset's cap. The Configure page says how many of your texts it reads
whole.</li>
<li><b>Loss</b>: how wrong the model is on the training examples; it should go down.</li>
<li><b>Accuracy</b>: the share of held-out examples labelled right. <b>Macro-F1</b> averages the score of
every class, so a rare class counts as much as a common one; it is the number to watch on unbalanced
data.</li>
<li><b>Confidence</b>: how sure the model is of a prediction (the probabilities of all labels add up to
100%).</li>
</ul>
<h3>Several labels per text</h3>
<p>A text can have several labels (a news story about sports <i>and</i> politics). LoRA Studio sees it when a
label cell joins labels (“sports;politics”) or when the table has a yes/no column per label, and the Dataset
step's <i>Per text</i> choice says so (change it if it guessed wrong). Each label then gets its own
probability and a threshold, tuned on the held-out texts, above which it is given. <b>Micro-F1</b> scores
every label decision together; <b>every label right</b> is the share of texts whose whole set is right;
Results count, per label, the texts where it was <b>missed</b> or <b>wrongly added</b> — click a count to see
those texts.</p>
<h3>LoRA in two sentences</h3>
<p>LoRA (low-rank adaptation) keeps the big pretrained model unchanged and trains a few small extra
matrices beside some of its layers, plus a classifier on top. That is fast enough for an ordinary
computer and gives an adapter of a few megabytes that you can share and load again.</p>
"""


def show_getting_started(parent) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Getting started — LoRA Studio")
    dialog.resize(640, 620)
    layout = QVBoxLayout(dialog)
    text = QTextBrowser()
    text.setHtml(GETTING_STARTED)
    layout.addWidget(text)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.close)
    layout.addWidget(buttons)
    dialog.open()  # non-blocking
    return dialog
