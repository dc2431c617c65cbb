"""Training progress in Jupyter: a tqdm widget whose stored text shows the finished epoch, and stored notebooks
that stay nbval-stable (a fresh run's widget text, at 0 %, sanitizes to the same as the stored one at 100 %)."""
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbval.plugin import get_sanitize_patterns

SANITIZE_FILE = Path(__file__).resolve().parent / "nbval_sanitize.cfg"

TRAIN = """import numpy as np
from nnlib import SGD, Network, train
rng = np.random.default_rng(0)
X, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
history = train(Network([4, 5, 3]), X, y, optimizer=SGD(0.1), epochs=2, batch_size=20{options})
print(f"{{history.loss[-1]:.4g}}")"""  # the bar's format


def run_cell(source):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    return notebook.cells[0].outputs


def sanitize(text):
    for regex, replacement in get_sanitize_patterns(SANITIZE_FILE.read_text()):  # nbval reads them so
        text = re.sub(regex, replacement, text)
    return text


def test_training_in_a_notebook_shows_one_widget_per_epoch_storing_its_final_state():
    outputs = run_cell(TRAIN.format(options=""))  # progress=None, the default
    bars, printed = outputs[:-1], outputs[-1]
    assert [output.output_type for output in bars] == ["display_data"] * 2
    assert all("application/vnd.jupyter.widget-view+json" in output.data for output in bars)
    final_loss = printed.text.strip()
    for epoch, output in enumerate(bars):
        assert re.fullmatch(rf"epoch {epoch + 1}: 100%\|[^|]+\| 3/3 \[\d\d:\d\d<00:00, +[\d.]+k?batch/s, loss=[\d.]+\]",
                            output.data["text/plain"])
    assert bars[-1].data["text/plain"].endswith(f"loss={final_loss}]")
    assert not any(output.get("name") == "stderr" for output in outputs)


def test_progress_false_in_a_notebook_displays_nothing():
    outputs = run_cell(TRAIN.format(options=", progress=False"))
    assert [output.output_type for output in outputs] == ["stream"]


def test_stored_bar_and_a_fresh_runs_bar_compare_equal_under_nbval_sanitizing():
    stored = "epoch 3: 100%|##########| 6000/6000 [00:07<00:00, 812.41batch/s, loss=0.3012]"
    fresh = "epoch 3:   0%|          | 0/6000 [00:00<?, ?batch/s]"
    assert sanitize(stored) == sanitize(fresh) == "epoch 3:PROGRESS"
    assert sanitize("epoch 4:   0%|          | 0/6000 [00:00<?, ?batch/s]") != sanitize(stored)
    assert sanitize("accuracy 95%|baseline") == "accuracy 95%|baseline"
