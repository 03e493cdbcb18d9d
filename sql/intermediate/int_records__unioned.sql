-- One row per valid person-level input row, in the shape matching reads (architecture.md
-- `records`). record_date is the rules.md "record's date": the event date, the term's end
-- for the census, and for spells the later of start and a known end on or before $as_of.
-- housing_asb is not person-level and is left out. `role` is the housing tenancy role
-- (null for other sources): matching reads what a record's source says about age.

with

police as (
    select
        'police' as source,
        p.record_id,
        p.row_number,
        p.forename,
        p.surname,
        p.dob,
        p.gender,
        p.address,
        p.postcode,
        cast(null as varchar) as upn,
        cast(null as varchar) as nino,
        p.pnc_id,
        cast(null as varchar) as uprn,
        cast(null as varchar) as tenancy_ref,
        p.event_date as record_date
    from stg_police as p
),

youth_offending as (
    select
        'youth_offending' as source,
        y.record_id,
        y.row_number,
        y.forename,
        y.surname,
        y.dob,
        y.gender,
        y.address,
        y.postcode,
        cast(null as varchar) as upn,
        cast(null as varchar) as nino,
        y.pnc_id,
        cast(null as varchar) as uprn,
        cast(null as varchar) as tenancy_ref,
        y.outcome_date as record_date
    from stg_youth_offending as y
),

school_census as (
    select
        'school_census' as source,
        c.record_id,
        c.row_number,
        c.forename,
        c.surname,
        c.dob,
        c.gender,
        c.address,
        c.postcode,
        c.upn,
        cast(null as varchar) as nino,
        cast(null as varchar) as pnc_id,
        cast(null as varchar) as uprn,
        cast(null as varchar) as tenancy_ref,
        case c.term
            when 'autumn' then make_date(cast(left(c.academic_year, 4) as integer), 12, 31)
            when 'spring' then make_date(cast(left(c.academic_year, 4) as integer) + 1, 3, 31)
            when 'summer' then make_date(cast(left(c.academic_year, 4) as integer) + 1, 8, 31)
        end as record_date
    from stg_school_census as c
),

school_exclusions as (
    select
        'school_exclusions' as source,
        x.record_id,
        x.row_number,
        x.forename,
        x.surname,
        x.dob,
        x.gender,
        x.address,
        x.postcode,
        x.upn,
        cast(null as varchar) as nino,
        cast(null as varchar) as pnc_id,
        cast(null as varchar) as uprn,
        cast(null as varchar) as tenancy_ref,
        x.exclusion_date as record_date
    from stg_school_exclusions as x
),

dwp_benefits as (
    select
        'dwp_benefits' as source,
        b.record_id,
        b.row_number,
        b.forename,
        b.surname,
        b.dob,
        b.gender,
        b.address,
        b.postcode,
        cast(null as varchar) as upn,
        b.nino,
        cast(null as varchar) as pnc_id,
        cast(null as varchar) as uprn,
        cast(null as varchar) as tenancy_ref,
        case
            when b.spell_end <= $as_of then greatest(b.spell_start, b.spell_end)
            else b.spell_start
        end as record_date
    from stg_dwp_benefits as b
),

dwp_employment as (
    select
        'dwp_employment' as source,
        e.record_id,
        e.row_number,
        e.forename,
        e.surname,
        e.dob,
        e.gender,
        e.address,
        e.postcode,
        cast(null as varchar) as upn,
        e.nino,
        cast(null as varchar) as pnc_id,
        cast(null as varchar) as uprn,
        cast(null as varchar) as tenancy_ref,
        e.event_date as record_date
    from stg_dwp_employment as e
),

housing as (
    select
        'housing' as source,
        h.record_id,
        h.row_number,
        h.forename,
        h.surname,
        h.dob,
        h.gender,
        h.address,
        h.postcode,
        cast(null as varchar) as upn,
        h.nino,
        cast(null as varchar) as pnc_id,
        h.uprn,
        h.tenancy_ref,
        case
            when h.tenancy_end <= $as_of then greatest(h.tenancy_start, h.tenancy_end)
            else h.tenancy_start
        end as record_date,
        h.role
    from stg_housing as h
),

social_care as (
    select
        'social_care' as source,
        s.record_id,
        s.row_number,
        s.forename,
        s.surname,
        s.dob,
        s.gender,
        s.address,
        s.postcode,
        cast(null as varchar) as upn,
        cast(null as varchar) as nino,
        cast(null as varchar) as pnc_id,
        cast(null as varchar) as uprn,
        cast(null as varchar) as tenancy_ref,
        case
            when s.end_date <= $as_of then greatest(s.start_date, s.end_date)
            else s.start_date
        end as record_date
    from stg_social_care as s
),

health as (
    select
        'health' as source,
        h.record_id,
        h.row_number,
        h.forename,
        h.surname,
        h.dob,
        h.gender,
        h.address,
        h.postcode,
        cast(null as varchar) as upn,
        cast(null as varchar) as nino,
        cast(null as varchar) as pnc_id,
        cast(null as varchar) as uprn,
        cast(null as varchar) as tenancy_ref,
        h.recorded_date as record_date
    from stg_health as h
),

final as (
    select * from police
    union all by name select * from youth_offending
    union all by name select * from school_census
    union all by name select * from school_exclusions
    union all by name select * from dwp_benefits
    union all by name select * from dwp_employment
    union all by name select * from housing
    union all by name select * from social_care
    union all by name select * from health
)

select * from final
