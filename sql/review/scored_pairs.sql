-- Every scored pair on integer record keys: a record's key is its row in `person_links`
-- in (source, record_id) order, stored with the pair by the match stage
-- (matching/pipeline._pair_output); review/evidence reads the records in that order.
select key_l, key_r, probability, match_weight, cast(guard as varchar) as guard
from match_pairs
