"""The land cast of the shared test world (motcua/dossiers/tests/land.py)."""

from motcua.dossiers.tests.land import land, land_stub_pdfs  # noqa: F401 (fixtures)
