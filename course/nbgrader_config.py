"""nbgrader's configuration for the lessons, graded in the Rust kernel (README, "For teachers").

This folder is an nbgrader course: run nbgrader here, with the venv's `bin` on PATH (`nbgrader db`
calls `alembic`), after `bash scripts/setup.sh`:

    cd course && PATH="$PWD/../.venv/bin:$PATH"
    python ../scripts/grade.py assign            # source/ from the lessons, release/ by nbgrader
    nbgrader autograde 08_inside_backward        # every submitted/<student>/08_inside_backward/
    nbgrader generate_feedback 08_inside_backward

A course folder elsewhere (on a class server) loads this file from its own nbgrader_config.py:
`c = get_config(); load_subconfig("<this checkout>/course/nbgrader_config.py")`.
Each setting below says why it is there.
"""

import os
from pathlib import Path

from nbgrader.preprocessors import (
    ClearHiddenTests, ClearMarkScheme, ClearSolutions, CheckCellMetadata, ComputeChecksums,
    IncludeHeaderFooter, InstantiateTests, LockCells, SaveCells,
)
from nbgrader.preprocessors.execute import Execute

REPO = Path(__file__).resolve().parent.parent
c = get_config()  # noqa: F821 (traitlets defines it when it runs this file)

# The stub a student finds in place of each `// BEGIN SOLUTION` ... `// END SOLUTION` region
# (nbgrader reads the notebook's kernelspec language, "rust"). The lessons put the regions where
# a value is expected (a function's body), so the stub compiles and the check fails cleanly:
# `todo!()` panics with "not yet implemented".
c.ClearSolutions.code_stub = {"rust": "// YOUR CODE HERE\ntodo!()", "python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Student versions keep the outputs of the lesson's own cells (its figures and printed values);
# scripts/grade.py already left the exercises' cells without outputs. nbgrader's list, without
# ClearOutput.
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions, CheckCellMetadata,
    ComputeChecksums, SaveCells, ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata,
]

# The kernel's settings are the lessons' own: notebooks/evcxr.toml (cell code unoptimised,
# variables kept after a panic, crates from cargo's cache). evcxr reads evcxr.toml from the
# kernel's working directory first, else from EVCXR_CONFIG_DIR; submissions never bring their own
# (ignored below), so every kernel reads this one. Each kernel gets its build folder from the
# "rust" kernelspec (scripts/evcxr_kernel.py), seeded from the dependencies set-up compiled.
os.environ["EVCXR_CONFIG_DIR"] = str(REPO / "notebooks")
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
    "evcxr.toml", ".cargo", ".evcxr-build", ".evcxr-kernels", "autograd-core", "target",
]

# A lesson's first cell compiles its dependencies into the kernel's fresh build folder: 30 s
# (nbgrader's default) is too short for it on a loaded machine, and a timed-out submission is not
# graded at all.
c.Execute.timeout = 300


# The lessons load the crate with `:dep autograd-core = { path = "../autograd-core" }`, and nbgrader
# runs each submission in <course>/autograded/<student>/<lesson>/: link ../autograd-core there to
# this checkout's crate (evcxr resolves the link, so every student's kernel reuses the one
# compiled crate).
def _link_crate(notebook_dir: str) -> None:
    link = Path(notebook_dir).resolve().parent / "autograd-core"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(os.path.relpath(REPO / "autograd-core", link.parent), target_is_directory=True)


# evcxr 0.22 answers a cell that fails to compile with {"status": "error"} and no `ename`
# (evcxr issue 281); nbgrader 0.9.6 then fails on reply["content"]["ename"] and grades nothing of
# the whole submission (nbgrader issue 1806). Fill in the error the kernel did send as an output
# (the compiler's message), so that only that cell scores 0 and the feedback shows the message.
# A patch on the class: Validator's preprocessors are not configurable.
_on_cell_executed = Execute.on_cell_executed
_preprocess = Execute.preprocess


def _on_cell_executed_with_ename(self, **kwargs):
    content = kwargs["execute_reply"]["content"]
    if content.get("status") == "error" and "ename" not in content:
        shown = [out for out in kwargs["cell"].outputs if out.output_type == "error"]
        content["ename"] = shown[-1].ename if shown else "Error"
        content["evalue"] = shown[-1].evalue if shown else ""
        content["traceback"] = shown[-1].traceback if shown else []
    return _on_cell_executed(self, **kwargs)


def _preprocess_linking_crate(self, nb, resources=None, *args, **kwargs):
    path = (resources or {}).get("metadata", {}).get("path")
    if path:
        _link_crate(path)
    return _preprocess(self, nb, resources, *args, **kwargs)


if not getattr(Execute, "_autograd_learn_patched", False):
    Execute.on_cell_executed = _on_cell_executed_with_ename
    Execute.preprocess = _preprocess_linking_crate
    Execute._autograd_learn_patched = True
