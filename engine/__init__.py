"""The offline engine: runs Pulumi programs and components under Pulumi's mock runtime.

One module serves preview, audit, tests and the benchmark: `run` for any callable that
creates resources, `run_stack` for the stack program with a stack file's config.
"""

from engine.capture import SECRET, Capture, CapturedResource
from engine.runner import ProgramError, run, run_stack

__all__ = ["SECRET", "Capture", "CapturedResource", "ProgramError", "run", "run_stack"]
