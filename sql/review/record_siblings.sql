-- Candidate siblings of the given records (`_given`): every record with the same date of
-- birth (or, undated, the same surname); review/decisions.profiles keeps those with the
-- same details as the matcher compares them.
with given as (
    select r.dob, upper(trim(r.surname)) as surname
    from records as r
    inner join _given as g on g.source = r.source and g.record_id = r.record_id
)
select r.*
from records as r
where r.dob in (select g.dob from given as g where g.dob is not null)
   or (r.dob is null and upper(trim(r.surname)) in (select g.surname from given as g where g.dob is null))
