-- Every scored pair on integer record keys: a record's key is its row in `person_links`
-- in (source, record_id) order, stored with the pair by the match stage
-- (matching/pipeline._pair_output); review/evidence reads the records in that order.
-- `pair_row` finds the pair again (review/asked_pair_levels.sql).
select rowid as pair_row, key_l, key_r, probability, match_weight, cast(guard as varchar) as guard
from match_pairs
