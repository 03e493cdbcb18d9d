-- Every record of the persons a question shows (`_persons`), with its person.
select r.source, r.record_id, r.forename, r.surname, r.dob, r.address, r.postcode, r.record_date,
       l.person_id
from records as r
inner join person_links as l on l.source = r.source and l.record_id = r.record_id
inner join _persons as p on p.person_id = l.person_id
