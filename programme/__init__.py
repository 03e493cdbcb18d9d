"""The programme rules and results: run the SQL in `sql/`, keep the claims ledger, explain a family."""
