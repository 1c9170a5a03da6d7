"""Helpers for the adversarial tests (tests/adversarial)."""

import json


def edit_json(path, **changes):
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(json.dumps(data), encoding="utf-8")


def one_line_error(capsys) -> str:
    """The CLI's promise for bad input: one "lora-studio: …" line on stderr, last, and no traceback.
    (Progress lines of a training that ran before the failure may precede it.)"""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("lora-studio: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], err
    assert "Traceback" not in err and "\x1b" not in err
    return errors[0]
