-- scored_pairs.sql for a warehouse whose match_pairs were written without their record
-- keys (before they were kept): the keys are found by joining on the records' strings.
with r as (select source, record_id, row_number() over (order by source, record_id) - 1 as key from person_links)
select mp.rowid as pair_row, a.key as key_l, b.key as key_r, mp.probability, mp.match_weight,
       cast(mp.guard as varchar) as guard
from match_pairs as mp
inner join r as a on a.source = mp.source_l and a.record_id = mp.record_id_l
inner join r as b on b.source = mp.source_r and b.record_id = mp.record_id_r
