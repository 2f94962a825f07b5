"""Run the repository's scripts in a child process, as the tests do."""
import os.path as osp
import subprocess
import sys
from typing import Dict, Optional, Sequence

#: The checkout that holds ``mcfa_mm/`` and ``tools/``.
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_script(args: Sequence[str],
               env: Optional[Dict[str, str]] = None,
               timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in the repository root with this interpreter.

    Args:
        args (Sequence[str]): The script (relative to the repository root)
            and its arguments.
        env (dict[str, str], optional): The child's environment; this
            process's when None.
        timeout (float): Seconds before the child is killed. Defaults to
            300.

    Returns:
        subprocess.CompletedProcess: The finished run, with text output.

    Raises:
        AssertionError: The script exited with a non-zero status; the
            message is the tail of its stdout and stderr.
    """
    result = subprocess.run([sys.executable] + list(args),
                            cwd=REPO_ROOT,
                            env=env,
                            capture_output=True,
                            text=True,
                            timeout=timeout)
    assert result.returncode == 0, (
        result.stdout[-3000:] + result.stderr[-5000:])
    return result
