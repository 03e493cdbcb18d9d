-- The comparison levels and reason of the scored pairs that may make a person question
-- (`_asked`, given by review/questions.candidate_pairs): only those few thousand are
-- read with their levels, the millions of others are not.
select mp.*
from match_pairs as mp
inner join _asked as q
    on q.source_l = mp.source_l and q.record_id_l = mp.record_id_l
   and q.source_r = mp.source_r and q.record_id_r = mp.record_id_r
