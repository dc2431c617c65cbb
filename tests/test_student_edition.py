"""The student edition (tools/student_edition.py) must hide every solution and still work."""
import ast
import contextlib
import inspect
import io
import json
import re
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import student_edition as edition  # noqa: E402
from notebooks import chapters  # noqa: E402

from nnlib.exercises import REFERENCE_IMPLEMENTATIONS, reference_object  # noqa: E402

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


# -- no reference implementation is visible to students --------------------------------------------

def squash(line):
    """A line without its comment and without any whitespace: what two copies of code have in common."""
    return re.sub(r"\s+", "", re.sub(r"(^|\s)#.*$", "", line))


def significant_lines(obj):
    """The squashed lines of obj's source that carry its logic: no signature, docstring or trivial line."""
    source = textwrap.dedent(inspect.getsource(obj))
    tree = ast.parse(source)
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            skip |= set(range(node.lineno, node.body[0].lineno))  # decorators and signature
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                skip |= set(range(first.lineno, first.end_lineno + 1))
    lines = {squash(line) for number, line in enumerate(source.splitlines(), 1) if number not in skip}
    return {line for line in lines if len(line) >= 12 and not STATE_ALLOCATION.match(line)}


# An optimizer allocating its state on the first step (`if self.r is None: self.r = zeros_like_each(params)`):
# every optimizer has those lines (RMSProp's printed code shares them with Adam's), and no exercise's answer
# does: the exercises take the state as arguments.
STATE_ALLOCATION = re.compile(r"^(self\.\w+=zeros_like_each\(params\)|ifself\.\w+isNone:)$")


def visible_text(cell):
    """Every squashed line a student can read in a cell: its source and its stored outputs."""
    texts = [cell.source]
    for output in cell.get("outputs", []):
        texts.append(output.get("text", "") if output.get("output_type") == "stream"
                     else output.get("data", {}).get("text/plain", ""))
    return {squash(line) for text in texts for line in str(text).splitlines()}


REFERENCE_LINES = {name: set().union(*(significant_lines(reference_object(spec)) for spec in specs))
                   for name, specs in REFERENCE_IMPLEMENTATIONS.items()}


def test_reference_lines_are_found_in_the_source_notebooks():
    """The comparison can fail: the teacher edition does print these implementations."""
    shown = set().union(*(visible_text(cell) for path in CHAPTERS for cell in source_notebook(path).cells))
    for name in ["one_hot", "sigmoid", "softmax", "dense_backward", "sgd_step", "adam_step", "he_init", "pca"]:
        assert REFERENCE_LINES[name] & shown, f"{name}: the leak test would not even see the teacher edition"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_reference_implementation_in_the_student_edition(built, path):
    student = nbformat.read(built / path.name, as_version=4)
    for index, cell in enumerate(student.cells):
        seen = visible_text(cell)
        for name, lines in REFERENCE_LINES.items():
            leaked = lines & seen
            assert not leaked, f"{path.name} cell {index} shows the answer to '{name}': {sorted(leaked)}"


NO_FORMULA = re.compile(r"@|\*|/|\bnp\.|axis|sqrt|\bexp\b|=|\[|\bsum\b|\bzip\b|permutation|transpose|\.T\b")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_stubs_say_what_to_compute_not_how(path):
    for cell in source_notebook(path).cells:
        if edition.is_solution(cell) and cell.cell_type == "code":
            for instruction in edition.instructions(cell.source):
                assert not NO_FORMULA.search(instruction), f"{path.name}: stub gives the formula: {instruction!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_intro_shows_how_to_ask_for_hints(path):
    section = edition.exercise_section(source_notebook(path))
    assert any('hint("' in cell.source for cell in section if cell.cell_type == "markdown"), path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_has_an_answer_and_a_time(path):
    for number, title, minutes, cells in edition.exercises(source_notebook(path)):
        assert minutes, f"{path.name} exercise {number}: say how long it takes, e.g. '(about 10 minutes)'"
        has_answer = any(edition.is_solution(c) for c in cells)
        assert has_answer, f"{path.name} exercise {number} ({title}) has no solution cell for the teacher's guide"


def test_teacher_guide_is_written_next_to_never_inside_the_edition(built):
    guide = built.parent / "teacher-guide.md"
    text = guide.read_text(encoding="utf-8")
    assert not list(built.glob("*guide*"))
    for path in CHAPTERS:
        assert f"(`{path.name}`)" in text
    assert "### BEGIN SOLUTION" in text and "nbgrader" in text
    assert "Expected output of the check" in text and "*Time: about" in text
    with pytest.raises(ValueError, match="must not be written into the student edition"):
        edition.build(built, built / "guide.md")


def test_teacher_guide_holds_every_answer(built):
    text = (built.parent / "teacher-guide.md").read_text(encoding="utf-8")
    for path in CHAPTERS:
        for cell in source_notebook(path).cells:
            if edition.is_solution(cell) and cell.cell_type == "markdown":
                assert cell.source in text
            elif edition.is_solution(cell):
                for block in edition.solution_blocks(cell.source):
                    assert block in text


def test_reference_cells_need_a_student_note():
    cell = nbformat.v4.new_code_cell("print(inspect.getsource(softmax))", metadata={"tags": ["reference"]})
    notebook = nbformat.v4.new_notebook(cells=[cell])
    with pytest.raises(ValueError, match="nnlib.student_note"):
        edition.student_notebook(notebook)
    cell.metadata["nnlib"] = {"student_note": "softmax(z)_j = e^{z_j} / sum_k e^{z_k}"}
    student = edition.student_notebook(notebook)
    assert student.cells[0].cell_type == "markdown" and "e^{z_j}" in student.cells[0].source


def test_lab_student_builds_and_opens_the_student_edition(monkeypatch):
    sys.path.insert(0, str(ROOT))
    import run
    commands = []
    monkeypatch.setattr(run, "ensure_environment", lambda command=None: None)
    monkeypatch.setattr(run, "run", lambda command, **kwargs: commands.append([str(part) for part in command]))
    run.main(["lab", "--student", "--no-browser"])
    build, lab = commands
    assert build[-1].endswith("tools/student_edition.py")
    assert lab[1:3] == ["lab", "build/student/"] and "--student" not in lab and "--no-browser" in lab
    commands.clear()
    run.main(["lab"])
    assert len(commands) == 1 and commands[0][1:3] == ["lab", "notebooks/"]
