"""The experiments' command line: Hydra, with a user's mistake reported in one line.

Every experiment ends in ``main = hydra_entry(__file__, "<config>", run)``. A bad value in the
config or on the command line (our validation raises ValueError), an unusable results directory
or a missing optional package is printed as one ``error: ...`` line and exit status 1, not as a
traceback; ``HYDRA_FULL_ERROR=1`` still shows the full one. Hydra itself already reports
malformed overrides and unknown config-group options in one message.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable

from hydra.errors import CompactHydraException
from hydra.experimental.callback import Callback

#: What a user can cause (a wrong value or type, an unusable file or folder, a missing optional
#: package); anything else is a bug in nettrim and keeps its traceback.
USER_ERRORS = (ValueError, TypeError, OSError, ImportError)


class UserError(CompactHydraException):
    """A mistake in the input, reported by Hydra as its message alone."""


def check_writable(directory) -> Path:
    """Create ``directory`` if needed and check a file can be written there."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-test-{uuid.uuid4().hex}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"error: cannot write results to {directory}: {exc.strerror or exc}; "
                        f"choose another directory (hydra.run.dir=... or tag=...)") from exc
    return directory


class CheckResultsDir(Callback):
    """Hydra callback: fail early, in one line, when the results directory is unusable
    (before Hydra itself tries to create it and fails with a traceback). Hydra turns a
    callback's exceptions into warnings, so this one exits (status 1) with the message."""

    def on_run_start(self, config, **kwargs) -> None:
        # before Hydra writes anything into the folder (.hydra/, the log): a folder holding a
        # finished run of another configuration is refused untouched
        self._check(config.hydra.run.dir)
        from .runs import check_same_run, claim_folder, grown

        try:
            check_same_run(config.hydra.run.dir, config)   # refused: nothing written at all
            if ((Path(config.hydra.run.dir) / "config.yaml").is_file()
                    and not grown(config.hydra.run.dir, config)):
                # the same finished run (values of RUNTIME_KEYS aside): rerunning it would
                # only rewrite its committed evidence (timings, log, figures), or take hours
                print(f"nothing to do: {config.hydra.run.dir} already holds this finished run "
                      f"(its config.yaml); its results are kept as they are. To run it again, "
                      f"delete that folder or choose another one (tag=... or "
                      f"hydra.run.dir=...)")
                raise SystemExit(0)
            # claimed before Hydra writes its .hydra/ and log: a second run into this folder
            # stops here instead of writing over the first's
            claim_folder(config.hydra.run.dir)
        except (ValueError, OSError) as exc:
            raise SystemExit(f"error: {exc}") from None

    def on_multirun_start(self, config, **kwargs) -> None:
        self._check(config.hydra.sweep.dir)

    @staticmethod
    def _check(directory):
        try:
            check_writable(directory)
        except UserError as exc:
            raise SystemExit(str(exc)) from None


def hydra_entry(script: str, config_name: str, run: Callable) -> Callable:
    """The ``main`` of an experiment script: compose ``conf/<config_name>.yaml`` with the
    command-line overrides and call ``run(cfg, output_dir)``.

    Parameters
    ----------
    script : str
        The experiment's ``__file__`` (the configs live in ``../conf`` from it).
    config_name : str
    run : callable
        ``run(cfg, out_dir)``; also what the tests call directly.
    """
    import hydra
    from hydra.core.hydra_config import HydraConfig

    conf = str(Path(script).resolve().parent.parent / "conf")

    @hydra.main(config_path=conf, config_name=config_name, version_base="1.3")
    def main(cfg) -> None:
        try:
            run(cfg, HydraConfig.get().runtime.output_dir)
        except USER_ERRORS as exc:
            if os.environ.get("HYDRA_FULL_ERROR") == "1":
                raise
            raise UserError(f"error: {exc}") from None

    return main


__all__ = ["UserError", "CheckResultsDir", "check_writable", "hydra_entry"]
