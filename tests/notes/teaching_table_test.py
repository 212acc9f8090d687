"""The exercise tables in notes/TEACHING.md and notes/zh/TEACHING.md are what
teaching_table.py makes from the lessons (run it with --write, and --zh --write, after a lesson changed)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import teaching_table  # noqa: E402


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_committed_table_is_made_from_the_lessons(lang):
    fix = "python3 tests/notes/teaching_table.py " + ("--zh " if lang == "zh" else "") + "--write"
    committed = teaching_table.committed(lang)
    assert committed is not None, f"{teaching_table.teaching_path(lang)} has no table lines; {fix}"
    assert committed == teaching_table.table(lang), f"the table is stale: {fix}"


def test_every_lesson_and_exercise_is_in_the_table():
    made = teaching_table.table("en")
    for path in teaching_table.lesson_files(teaching_table.ROOT / "notes"):
        row = next(line for line in made.split("\n") if f"]({path.name})" in line)
        count = len(teaching_table.lessons.exercises(path))
        assert row.count("<br>") == count - 1, f"{path.name}: {count} exercises"
