"""The lessons every student's home starts with (hub/hub.sh install runs this).

    HUB_PREFIX/venv/bin/python hub/student_lessons.py HUB_PREFIX/course

Writes COURSE/lessons/: the student copy of each lesson in COURSE/notebooks/ (the classroom kit's:
scripts/make_kit.py's student_copy, so solutions are left out exactly as in `make kit`), and
evcxr.toml, which the kernel reads from the notebook's folder. The hub copies COURSE/lessons/
into a student's home on their first start (hub/jupyterhub_config.py); the copies load the crate
from ../autograd-core, which the hub makes a symlink to COURSE/autograd-core.
"""

import shutil
import sys
from pathlib import Path

import nbformat


def main(course: Path) -> int:
    sys.path.insert(0, str(course / "scripts"))
    import make_kit  # the course's own copy: the kit's rules, whatever this checkout holds

    out = course / "lessons"
    fresh = course / "lessons.new"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir()
    for path in sorted((course / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        (fresh / path.name).write_text(nbformat.writes(make_kit.student_copy(nb, path.name)) + "\n")
    shutil.copy2(course / "notebooks" / "evcxr.toml", fresh / "evcxr.toml")
    shutil.rmtree(out, ignore_errors=True)
    fresh.rename(out)
    print(f"    {len(list(out.glob('*.ipynb')))} student copies in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
