"""Types and discoverability: every public name is in ``__all__``, ``dir(azmi)`` and
``help(azmi)``; a user's script type-checks under ``mypy --strict --disallow-any-expr``, and
stops type-checking when one of azmi's types falls back to ``Any``."""

import os
import pydoc
import shutil
import subprocess
import sys
from pathlib import Path

import azmi
from azmi import _errors

SAMPLE = Path(__file__).parent / "typing" / "sample_user.py"


def mypy(tmp_path, *args, env=None):
    # azmi's own modules are not the user's: their errors are not reported (as mypy does for
    # installed packages), also when they are found through MYPYPATH.
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n[mypy-azmi.*]\nignore_errors = True\n")
    command = [sys.executable, "-m", "mypy", "--config-file", str(config), "--strict",
               "--disallow-any-expr", "--cache-dir", str(tmp_path / "mypy-cache"), *args,
               str(SAMPLE)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


def test_every_public_name_is_listed_and_documented():
    listed = set(dir(azmi))
    manual = pydoc.render_doc(azmi, renderer=pydoc.plaintext)
    for name in azmi.__all__:
        assert name in listed, name
        assert getattr(azmi, name) is not None, name
        assert name in manual, name
    for name in ("ArmClient", "AzmiError", "ArmError", "ManagedIdentityCredential",
                 "MSIAuthentication", "AccessToken", "ArmProgress"):
        assert name in azmi.__all__, name
    # Every error class azmi declares is public.
    assert set(_errors.__all__) <= set(azmi.__all__)
    assert all(getattr(azmi, name) is getattr(_errors, name) for name in _errors.__all__)


def test_the_sample_user_script_is_precisely_typed(tmp_path):
    out = mypy(tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_sample_fails_when_a_type_falls_back_to_any(tmp_path):
    """A copy of the installed package whose stub says ``get_token`` returns ``Any``, found
    first through MYPYPATH: the same check must fail on the sample's use of it."""
    copy = tmp_path / "stubs" / "azmi"
    shutil.copytree(Path(azmi.__file__).parent, copy,
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    stub = copy / "_azmi.pyi"
    text = stub.read_text()
    regressed = text.replace(") -> AccessToken: ...", ") -> Any: ...", 1)
    assert regressed != text
    stub.write_text(regressed)
    out = mypy(tmp_path, env={**os.environ, "MYPYPATH": str(tmp_path / "stubs")})
    assert out.returncode == 1, out.stdout + out.stderr
    assert 'has type "Any"' in out.stdout and "sample_user.py" in out.stdout, out.stdout
