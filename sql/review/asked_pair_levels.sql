-- The comparison levels and reason of the scored pairs that may make a person question
-- (`_asked`, given by review/questions.candidate_pairs): only those few thousand are
-- read with their levels, the millions of others are not. They are found by their row
-- (`pair_row`, read with the pair by scored_pairs.sql): a join on the records' strings
-- would scan all the pairs.
select mp.*
from match_pairs as mp
inner join _asked as q on q.pair_row = mp.rowid
