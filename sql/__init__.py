"""The programme rules as DuckDB SQL, shipped as package data (`cohort.sql`).

`intermediate/`, `rules/<programme>/<criterion>.sql` with a sibling `.yml`, `results/`, `marts/`.
`cohort.core.sqlrunner` reads them; there is no Python here."""
