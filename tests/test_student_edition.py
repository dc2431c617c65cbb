"""The student edition (tools/student_edition.py) must hide every solution and still work."""
import ast
import contextlib
import io
import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import student_edition as edition  # noqa: E402
from notebooks import chapters  # noqa: E402

CHAPTERS = chapters()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    edition.build(out)
    return out


def source_notebook(path):
    return nbformat.read(path, as_version=4)


def test_stub_keeps_signature_and_indentation():
    source = ('def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION: double x\n    y = 2 * x\n    return y\n'
              '    ### END SOLUTION\n')
    stubbed = edition.strip_solution(source)
    assert stubbed == 'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError(\'double x\')'
    namespace = {}
    exec(stubbed, namespace)
    with pytest.raises(NotImplementedError, match="double x"):
        namespace["f"](1)


@pytest.mark.parametrize("source, problem", [
    ("x = 1\n", "no ### BEGIN SOLUTION marker"),
    ("### BEGIN SOLUTION\nx = 1\n", "without ### END SOLUTION"),
    ("### END SOLUTION\n", "unbalanced"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "unbalanced"),
])
def test_malformed_markers_are_reported(source, problem):
    with pytest.raises(ValueError, match=problem):
        edition.strip_solution(source)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_chapter_has_exercises_with_a_checked_implementation(path):
    cells = source_notebook(path).cells
    solution_code = [c for c in cells if edition.is_solution(c) and c.cell_type == "code"]
    assert solution_code, "each chapter needs at least one implement-a-function exercise tagged 'solution'"
    assert any("check_" in c.source for c in cells if c.cell_type == "code" and not edition.is_solution(c))
    exercises = sum(line.lstrip("#* ").startswith("Exercise") for c in cells if c.cell_type == "markdown"
                    for line in c.source.splitlines())
    assert exercises >= 3, f"found {exercises} exercises, the chapter needs at least 3"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_solution_leaks_into_the_student_edition(built, path):
    original, student = source_notebook(path), nbformat.read(built / path.name, as_version=4)
    nbformat.validate(student)
    student_json = json.dumps(student)
    student_code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    for cell in original.cells:
        if not edition.is_solution(cell):
            continue
        if cell.cell_type == "markdown":
            assert cell.source not in student_json
            continue
        for block in edition.solution_blocks(cell.source):
            assert json.dumps(block)[1:-1] not in student_json
            for line in block.splitlines():
                if len(line.strip()) > 15 and not line.strip().startswith("#"):
                    assert line.strip() not in student_code, f"solution line leaked: {line.strip()}"
    for cell in student.cells:
        if edition.is_solution(cell) and cell.cell_type == "code":
            assert "raise NotImplementedError" in cell.source and not cell.outputs


def exercise_cells(notebook):
    """Import cells from anywhere, then every code cell from the 'Exercises' heading on."""
    start = next(i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown"
                 and any(line.startswith("#") and "Exercises" in line for line in c.source.splitlines()))
    imports = [c for c in notebook.cells[:start] if c.cell_type == "code" and c.source.strip()
               and all(line.startswith(("import ", "from ", "#", "%")) or not line.strip()
                       for line in c.source.splitlines())]
    return imports + [c for c in notebook.cells[start:] if c.cell_type == "code"]


def run_cell(source, namespace):
    """exec a cell like a kernel would; return the repr of a trailing expression, if any."""
    source = "\n".join(line for line in source.splitlines() if not line.startswith("%"))  # IPython magics
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
        return "" if value is None else repr(value)
    return ""


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_checkers_report_the_stubs_clearly(built, path, monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    student, namespace, reports = nbformat.read(built / path.name, as_version=4), {}, []
    for cell in exercise_cells(student):
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            try:
                reports.append(run_cell(cell.source, namespace) + output.getvalue())
            except NotImplementedError:
                reports.append("NotImplementedError raised by a direct call")
    checker_reports = [r for r in reports if "✗" in r or "✓" in r]
    assert checker_reports, "no checker ran in the exercises section"
    for report in checker_reports:
        assert "✓" not in report, f"a checker passed a stub: {report}"
        assert "not implemented yet" in report
