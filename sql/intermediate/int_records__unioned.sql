-- One row per valid person-level input row, in the shape matching reads (architecture.md
-- `records`). record_date is the rules.md "record's date": the event date, the term's end
-- for the census, and for spells the later of start and a known end on or before $as_of;
-- each agency's is in its entry in cohort/core/agencies.py, which generates the union.
-- housing_asb is not person-level and is left out. `role` is the housing tenancy role
-- (null for other sources): matching reads what a record's source says about age.

with

agency_records as (
    {{ agency_records }}
),

final as (
    select
        ar.source,
        ar.record_id,
        ar.row_number,
        ar.forename,
        ar.surname,
        ar.dob,
        ar.gender,
        ar.address,
        ar.postcode,
        ar.upn,
        ar.nino,
        ar.pnc_id,
        ar.uprn,
        ar.tenancy_ref,
        ar.record_date,
        ar.role
    from agency_records as ar
)

select * from final
