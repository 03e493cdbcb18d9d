-- Families turned around to date by district, for the claim workbook of the window ending
-- $as_of: a crime_asb_education or continuous_employment result claimed in an earlier
-- window (the claims ledger's standing claims, with the district recorded at the claim), or achieved in
-- this window by a family with no such earlier claim (the `results` mart).

with

earlier as (
    -- two families claimed apart and since merged are one family turned around
    select
        coalesce(cf.family_id, c.family_id) as family_id,
        arg_max(c.district, c.window_end) as district
    from claims_current as c
    left join int_family_ids__current as cf on cf.old_id = c.family_id
    where c.window_end < $as_of
      and c.result in ('crime_asb_education', 'continuous_employment')
    group by 1
),

this_window as (
    select distinct
        r.family_id,
        r.district
    from results as r
    where r.result in ('crime_asb_education', 'continuous_employment')
),

newly as (
    select
        tw.family_id,
        tw.district
    from this_window as tw
    where tw.family_id not in (select e.family_id from earlier as e)
),

counted as (
    select
        e.district,
        count(*) as turned_around_before,
        0 as turned_around_now
    from earlier as e
    group by e.district

    union all

    select
        n.district,
        0 as turned_around_before,
        count(*) as turned_around_now
    from newly as n
    group by n.district
),

final as (
    select
        c.district,
        sum(c.turned_around_before) as turned_around_before,
        sum(c.turned_around_now) as turned_around_now
    from counted as c
    group by c.district
    order by c.district
)

select * from final
