"""Ingest and validation of a monthly drop: `schemas.ingest.load_drop` is the entry point;
one pandera model pair per extract, the extract list in `schemas.registry`, row-level
rejection reasons in `schemas.reasons`, file-level failures as `schemas.errors.InputError`."""
