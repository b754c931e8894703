"""Executes one notebook with Jupyter's execution client (nbclient) for `percept notebooks` (src/notebook/runner.ts).

Usage: python execute_notebook.py JOB_JSON
JOB_JSON: {"notebook", "output", "cwd", "kernel", "timeout", "startupTimeout", "metadata"}.
Prints one JSON line on stdout: {"ok", "seconds", "failedCell"?: {"index", "kind", "stderr", "ename"?, "evalue"?},
"error"?}. The executed copy is written to "output" in every case, with the outputs up to the failure.

Why the details (docs/ARCHITECTURE.md §7):
- tslab reports a failing cell as stderr text and an execute_reply with status "error" but no `error` output;
  nbclient raises CellExecutionError from the reply status, and the `on_cell_error` hook gives the cell index that
  the exception lacks.
- A cell timeout (CellTimeoutError) and a dead kernel (DeadKernelError) are told apart by name; `on_cell_execute`
  says which cell was running.
- The kernel is shut down at once after a failure: a JavaScript busy loop cannot be interrupted by SIGINT.
"""
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def cell_stderr(cell):
    """The cell's stderr text and its `error` outputs (kernels other than tslab send those), in order."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append(f"{output.get('ename', '')}: {output.get('evalue', '')}\n")
    return "".join(parts)


def write_atomic(notebook, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temp = f"{path}.tmp-{os.getpid()}"
    nbformat.write(notebook, temp)
    os.replace(temp, path)


def main(job):
    notebook = nbformat.read(job["notebook"], as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    state = {"running": None, "failed": None}

    def on_cell_execute(cell, cell_index):
        state["running"] = cell_index

    def on_cell_error(cell, cell_index, execute_reply):
        state["failed"] = cell_index

    client = NotebookClient(
        notebook,
        kernel_name=job["kernel"],
        timeout=job["timeout"],
        startup_timeout=job["startupTimeout"],
        shutdown_kernel="immediate",
        resources={"metadata": {"path": job["cwd"]}},
        on_cell_execute=on_cell_execute,
        on_cell_error=on_cell_error,
    )
    result = {"ok": True}
    start = time.monotonic()
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        kind = {CellExecutionError: "error", CellTimeoutError: "timeout", DeadKernelError: "dead-kernel"}[type(error)]
        index = state["failed"] if kind == "error" and state["failed"] is not None else state["running"]
        failed = {"index": index, "kind": kind, "stderr": cell_stderr(notebook.cells[index]) if index is not None else ""}
        if kind == "error":
            failed["ename"] = error.ename
            failed["evalue"] = error.evalue
        else:
            failed["ename"] = type(error).__name__
            failed["evalue"] = str(error).strip().splitlines()[0]
        result = {"ok": False, "failedCell": failed}
    except RuntimeError as error:
        # nbclient raises RuntimeError when the kernel does not start or answer within startup_timeout.
        result = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    result["seconds"] = time.monotonic() - start
    notebook.metadata["percept"] = {**job["metadata"], **{key: value for key, value in result.items() if key != "seconds"}}
    write_atomic(notebook, job["output"])
    print(json.dumps(result))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
