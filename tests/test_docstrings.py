"""numpydoc check of the public API: every function in ``nettrim.__all__`` documents its
parameters and has a Returns section; every public class has a docstring."""

import inspect

import pytest
from numpydoc.validate import validate as numpydoc_validate

import nettrim

#: GL08 no docstring, PR01 a parameter not documented, PR02 an unknown parameter documented,
#: RT01 no Returns section. (Dataclasses list their fields under Attributes: only GL08.)
FUNCTION_CODES = {"GL08", "PR01", "PR02", "RT01"}


@pytest.mark.parametrize("name", sorted(set(nettrim.__all__) - {"STATUSES"}))
def test_public_api_docstring(name):
    obj = getattr(nettrim, name)
    codes = FUNCTION_CODES if inspect.isfunction(obj) else {"GL08"}
    errors = [(c, m) for c, m in numpydoc_validate(f"nettrim.{name}")["errors"] if c in codes]
    assert not errors, errors
