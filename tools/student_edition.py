"""Build the student edition of the notebook series, and the teacher's guide that goes with it.

    python tools/student_edition.py [--out DIR] [--guide FILE]      (or: python3 run.py student)

writes the chapters without their solutions into DIR (default build/student/) and the teacher's guide into
FILE (default: teacher-guide.md next to DIR, e.g. build/teacher-guide.md; never inside DIR, which is what
students get).

Solutions are marked once, in the source notebooks (which are the teacher edition):
- a code cell tagged `solution` holds its answer between `### BEGIN SOLUTION: <what to compute>` and
  `### END SOLUTION`; the student edition keeps the rest of the cell (signature, docstring) and puts
  `raise NotImplementedError("<what to compute>")` in place of the answer. The instruction says what to
  compute, never how: the steps towards the formula are the checkers' hints, hint("softmax", 1), ...
- a Markdown cell tagged `solution` (the answer to a conceptual or explore question) is replaced by a note;
- a cell tagged `reference` prints the library's own implementation of a function that an exercise asks
  students to write (e.g. `print(inspect.getsource(softmax))`). The student edition replaces it by the
  Markdown in the cell's metadata `nnlib.student_note` (the formula, so the chapter still teaches), so no
  exercise's answer is visible before or at its exercise.
Outputs of solution cells, and of every cell that calls a function they define (the checkers), are
cleared, so no answer leaks through a stored output either.

The markers are nbgrader's (### BEGIN SOLUTION / ### END SOLUTION, cells tagged in the same spirit), so a
teacher who grades with nbgrader can use the source notebooks as nbgrader's source versions.

The teacher's guide holds, for every chapter and exercise: the time it takes, the answer (solution code and
the answers to conceptual and explore questions), the checker's expected output, and the checker's hints.
"""
import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebooks import CONTENTS, chapters, normalize, title_of  # noqa: E402

SOLUTION_TAG, REFERENCE_TAG = "solution", "reference"
BEGIN = re.compile(r"^(?P<indent>[ \t]*)### BEGIN SOLUTION:?\s*(?P<instruction>.*)$")
END = re.compile(r"^[ \t]*### END SOLUTION\s*$")
DEFAULT_INSTRUCTION = "Write your solution here (see the exercise above), then run the check below."
ANSWER_NOTE = "*Answer: not included in the student edition; discuss it with your teacher or classmates.*"
REFERENCE_NOTE = ("*Student edition: the library's source of this function is left out here, because an exercise "
                  "asks you to write it, or code much like it. After the exercise, read it with "
                  "`inspect.getsource`.*")
EXERCISE_HEADING = re.compile(r"^(?:#+\s*|\*\*)Exercise\s+(\d+)")
MINUTES = re.compile(r"about (\d+(?:[-–]\d+)?) min", re.IGNORECASE)


def tags(cell):
    return cell.metadata.get("tags", [])


def is_solution(cell):
    return SOLUTION_TAG in tags(cell)


def is_reference(cell):
    return REFERENCE_TAG in tags(cell)


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


def instructions(source):
    """The instruction of every solution block of one cell (what the stub's NotImplementedError says)."""
    return [match["instruction"].strip() or DEFAULT_INSTRUCTION
            for match in map(BEGIN.match, source.splitlines()) if match]


def defined_names(source):
    return set(re.findall(r"^\s*def\s+(\w+)\s*\(", source, flags=re.MULTILINE))


def reference_replacement(cell, where):
    note = cell.metadata.get("nnlib", {}).get("student_note")
    if cell.cell_type != "code" or not note:
        raise ValueError(f"{where}: a '{REFERENCE_TAG}' cell must be a code cell with metadata nnlib.student_note "
                         f"(the Markdown students see instead)")
    return nbformat.v4.new_markdown_cell(f"{note}\n\n{REFERENCE_NOTE}", id=cell.get("id"))


def student_notebook(notebook, name="notebook"):
    """A copy of notebook with every solution and reference removed and the outputs that depend on them cleared."""
    notebook = nbformat.from_dict(notebook)
    solution_functions = set()
    cells = []
    for index, cell in enumerate(notebook.cells):
        if is_reference(cell):
            cells.append(reference_replacement(cell, f"{name} cell {index}"))
        elif not is_solution(cell):
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


# -- the teacher's guide ---------------------------------------------------------------------------

def exercise_section(notebook):
    """The cells from the '## Exercises' heading to the end (without the navigation cell)."""
    start = next((i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown"
                  and any(line.startswith("#") and "Exercises" in line for line in c.source.splitlines())), None)
    if start is None:
        return []
    return [c for c in notebook.cells[start:] if "nav-bottom" not in tags(c)]


def exercises(notebook):
    """[(number, title line, minutes, [cells])] for every exercise of the chapter, in order."""
    found = []
    for cell in exercise_section(notebook):
        if cell.cell_type == "markdown" and not is_solution(cell):
            starts = [i for i, line in enumerate(cell.source.splitlines()) if EXERCISE_HEADING.match(line)]
            lines = cell.source.splitlines()
            for k, i in enumerate(starts):
                end = starts[k + 1] if k + 1 < len(starts) else len(lines)
                text = "\n".join(lines[i:end])
                minutes = MINUTES.search(text)
                found.append([int(EXERCISE_HEADING.match(lines[i])[1]), exercise_title(lines[i]),
                              minutes[1] if minutes else None, [nbformat.v4.new_markdown_cell(text)]])
            if starts:
                continue
        if found:
            found[-1][3].append(cell)
    return found


def exercise_title(line):
    """'one-hot encoding' from '### Exercise 1: one-hot encoding *(about 10 minutes)*', and 'implement' from
    '**Exercise 1 (implement).** ...'."""
    line = re.sub(r"\s*\*?\(about [^)]*\)\.?\*?", "", line, flags=re.IGNORECASE)
    heading = re.match(r"^#+\s*Exercise\s+\d+:?\s*(.*)$", line)
    if heading:
        return heading[1].strip()
    bold = re.match(r"^\*\*Exercise\s+\d+\s*\(?(.*?)\)?\.?\*\*", line)
    return bold[1].strip() if bold else line.strip("#* ")


def _outputs_text(cell):
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "text/plain" in output.get("data", {}):
            parts.append(output["data"]["text/plain"])
    return "".join(parts).rstrip()


def guide_for(notebook, path):
    """The teacher's guide section of one chapter, in Markdown."""
    lines = [f"## {path.stem[:2]} {title_of(notebook)} (`{path.name}`)", ""]
    listed = exercises(notebook)
    if not listed:
        return "\n".join(lines + ["No exercises.", ""])
    total = sum(int(m.split("-")[-1].split("–")[-1]) for _, _, m, _ in listed if m)
    lines += [f"{len(listed)} exercises, about {total} minutes in all.", ""]
    for number, title, minutes, cells in listed:
        lines += [f"### Exercise {number}: {title}",
                  f"*Time: about {minutes} minutes.*" if minutes else "*Time: not stated.*", ""]
        for cell in cells:
            if is_solution(cell) and cell.cell_type == "markdown":
                lines += [cell.source, ""]
            elif is_solution(cell):
                lines += ["Solution:", "", "```python", cell.source, "```", ""]
            elif cell.cell_type == "code" and "check_" in cell.source and _outputs_text(cell):
                lines += ["Expected output of the check (with the solution in place):", "", "```",
                          _outputs_text(cell), "```", ""]
                for name in re.findall(r'hint\("(\w+)"', cell.source) or _checked_names(cell):
                    lines += _hint_lines(name)
    return "\n".join(lines)


def _checked_names(cell):
    names = []
    for line in _outputs_text(cell).splitlines():
        match = re.match(r"^[✓✗] (\w+)[: ]", line)
        if match:
            names.append(match[1])
    return names


def _hint_lines(name):
    try:
        from nnlib.exercises.harness import HINTS
        from nnlib.exercises import load_all_chapters
        load_all_chapters()
    except ImportError:  # nnlib not installed: the guide goes without the hints
        return []
    if name not in HINTS:
        return []
    lines = [f"The hints students can ask for, `hint(\"{name}\", 1)` to `hint(\"{name}\", {len(HINTS[name])})`:", ""]
    lines += [f"{i}. {text}" for i, text in enumerate(HINTS[name], 1)]
    return lines + [""]


GUIDE_INTRO = """# Teacher's guide

Generated by `python3 run.py student` together with the student edition; do not hand it out. For every
chapter: each exercise's time, its answer (the solution code, and the answers to the conceptual and explore
questions), the expected output of its check, and the hints a student can ask for. The answers live in the
source notebooks (`notebooks/`, the teacher edition) as cells tagged `solution`; the solution markers are
nbgrader's (`### BEGIN SOLUTION` / `### END SOLUTION`), so the source notebooks also work as nbgrader
source versions.
"""


def build_guide(paths):
    sections = [GUIDE_INTRO]
    for path in paths:
        sections.append(guide_for(nbformat.read(path, as_version=4), path))
    return "\n".join(sections).rstrip() + "\n"


def _write_atomically(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def default_guide(out_dir):
    return out_dir.parent / "teacher-guide.md"


def build(out_dir, guide=None):
    """Write the student edition of every chapter into out_dir and the teacher's guide to guide (default
    out_dir/../teacher-guide.md); returns the written paths, the guide last."""
    out_dir, guide = Path(out_dir), Path(guide) if guide else default_guide(Path(out_dir))
    if guide.resolve().is_relative_to(out_dir.resolve()):
        raise ValueError(f"the teacher's guide {guide} must not be written into the student edition {out_dir}")
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
    _write_atomically(guide, build_guide(chapters()))
    return written + [guide]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student")
    parser.add_argument("--guide", type=Path, default=None, help="where to write the teacher's guide "
                        "(default: teacher-guide.md next to --out)")
    args = parser.parse_args(argv)
    try:
        written = build(args.out, args.guide)
    except ValueError as error:
        sys.exit(f"error: {error}")
    for path in written:
        print(f"wrote {path}")
    print(f"Student edition: {args.out}  (open it with: python3 run.py lab --student)")
    print(f"Teacher's guide: {written[-1]}  (for teachers only; not part of the student edition)")


if __name__ == "__main__":
    main()
