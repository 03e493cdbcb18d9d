-- The given records (`_given`: source, record_id) as a question shows them.
select r.source, r.record_id, r.forename, r.surname, r.dob, r.address, r.postcode, r.record_date
from records as r
inner join _given as g on g.source = r.source and g.record_id = r.record_id
