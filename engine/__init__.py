"""The offline engine: runs Pulumi programs and components under Pulumi's mock runtime.

One module serves preview, audit, tests and the benchmark: `run` for any callable that
creates resources, `run_stack` for the stack program with a stack file's config.
The runner (and with it the Pulumi SDK) is imported on first use, so the light parts of the
engine (captured data, the engine server's client) load without it.
"""

from engine.captured import SECRET, Capture, CapturedResource

__all__ = ["SECRET", "Capture", "CapturedResource", "ProgramError", "run", "run_stack"]


def __getattr__(name: str):
    if name in ("ProgramError", "run", "run_stack"):
        from engine import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'engine' has no attribute '{name}'")
