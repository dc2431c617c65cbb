"""Build the student edition of the notebook series: the same chapters with the solutions taken out.

    python tools/student_edition.py [--out DIR]      (or: python3 run.py student)

Solutions are marked once, in the source notebooks:
- a code cell tagged `solution` holds its answer between `### BEGIN SOLUTION: <instruction>` and
  `### END SOLUTION`; the student edition keeps the rest of the cell (signature, docstring) and puts
  `raise NotImplementedError("<instruction>")` in place of the answer;
- a Markdown cell tagged `solution` (an answer to a conceptual question) is replaced by a note.
Outputs of solution cells, and of every cell that calls a function they define (the checkers), are
cleared, so no answer leaks through a stored output either.
"""
import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebooks import CONTENTS, chapters, normalize  # noqa: E402

SOLUTION_TAG = "solution"
BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION:?\s*(?P<instruction>.*)$")
END = re.compile(r"^[ \t]*### END SOLUTION\s*$")
DEFAULT_INSTRUCTION = "Write your solution here (see the exercise above), then run the check below."
ANSWER_NOTE = "*Answer: not included in the student edition; discuss it with your teacher or classmates.*"


def is_solution(cell):
    return SOLUTION_TAG in cell.metadata.get("tags", [])


def strip_solution(source, where="cell"):
    """Replace every BEGIN/END SOLUTION block in source with a NotImplementedError stub."""
    lines, out, inside = source.splitlines(), [], None
    for number, line in enumerate(lines, 1):
        begin = BEGIN.match(line)
        if begin and inside is None:
            inside = begin
            instruction = begin["instruction"].strip() or DEFAULT_INSTRUCTION
            out.append(f"{begin['indent']}# YOUR CODE HERE")
            out.append(f"{begin['indent']}raise NotImplementedError({instruction!r})")
        elif END.match(line) and inside is not None:
            inside = None
        elif begin or END.match(line):
            raise ValueError(f"{where}: line {number}: unbalanced solution markers")
        elif inside is None:
            out.append(line)
    if inside is not None:
        raise ValueError(f"{where}: ### BEGIN SOLUTION without ### END SOLUTION")
    if len(out) == len(lines):
        raise ValueError(f"{where}: tagged '{SOLUTION_TAG}' but has no ### BEGIN SOLUTION marker")
    return "\n".join(out)


def solution_blocks(source):
    """The answer text between the markers of one cell, one string per block."""
    blocks, current = [], None
    for line in source.splitlines():
        if BEGIN.match(line):
            current = []
        elif END.match(line) and current is not None:
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def defined_names(source):
    return set(re.findall(r"^\s*def\s+(\w+)\s*\(", source, flags=re.MULTILINE))


def student_notebook(notebook, name="notebook"):
    """A copy of notebook with every solution removed and the outputs that depend on them cleared."""
    notebook = nbformat.from_dict(notebook)
    solution_functions = set()
    cells = []
    for index, cell in enumerate(notebook.cells):
        if not is_solution(cell):
            cells.append(cell)
        elif cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(ANSWER_NOTE, id=cell.get("id")))
        else:
            solution_functions |= defined_names(cell.source)
            cell.source = strip_solution(cell.source, f"{name} cell {index}")
            cells.append(cell)
    calls = re.compile(r"\b(" + "|".join(map(re.escape, solution_functions)) + r")\b") if solution_functions else None
    for cell in cells:
        if cell.cell_type == "code" and (is_solution(cell) or (calls and calls.search(cell.source))):
            cell.outputs, cell.execution_count = [], None
    notebook.cells = cells
    notebook.nbformat_minor = max(notebook.nbformat_minor, 4)
    return normalize(notebook)


def build(out_dir):
    """Write the student edition of every chapter into out_dir; returns the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in chapters():
        notebook = student_notebook(nbformat.read(path, as_version=4), path.name)
        nbformat.validate(notebook)
        target = out_dir / path.name
        temporary = target.with_suffix(".ipynb.tmp")
        nbformat.write(notebook, temporary)
        temporary.replace(target)
        written.append(target)
    # The contents page every chapter's navigation links to (it holds no solutions).
    shutil.copyfile(CONTENTS, out_dir / CONTENTS.name)
    written.append(out_dir / CONTENTS.name)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student")
    args = parser.parse_args(argv)
    for path in build(args.out):
        print(f"wrote {path}")
    print(f"Student edition: {args.out}  (open it with: .venv/bin/jupyter lab {args.out})")


if __name__ == "__main__":
    main()
