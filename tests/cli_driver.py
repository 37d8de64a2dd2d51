"""Run experiment scripts' command lines one after another in this process (the tests' CLI
matrix: Python and nettrim imported once). argv[1]: JSON [[script, [args...]], ...];
prints JSON [[exit status, stderr], ...]."""
import contextlib
import io
import json
import runpy
import sys

out = []
for script, args in json.loads(sys.argv[1]):
    sys.argv = [script, *args]
    err = io.StringIO()
    status = 0
    with contextlib.redirect_stderr(err):
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit as exc:
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
                status = 1
            else:
                status = exc.code or 0
    out.append([status, err.getvalue()])
sys.stdout.write("\n" + json.dumps(out))
