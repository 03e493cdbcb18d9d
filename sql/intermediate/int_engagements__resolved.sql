-- Every row of the engagements extract and the family it names now (rules.md "Phase 1
-- results"), before anyone is judged:
--   published_family_id  the family_id the row was written with (the ids stage's
--                        `engagements` points rows naming a retired id at the family's
--                        current id; engagement_redirects keeps what they named)
--   family_id            the family the row is about at $as_of: the published id when that
--                        family exists now, else the family a retired id was merged into
--                        (int_family_ids__current) when that one exists; null when neither
--   redirected           the published id was retired and followed to family_id
--   judged_on            the date the family is judged on: the earliest attached_on of all
--                        its rows that is on or before $as_of (decision 11: the earliest
--                        row wins); null when every row is dated after $as_of
--   deciding_row         the row that gives judged_on
-- Grain: one row per engagements row.

with

engagement_rows as (
    select
        e.row_number,
        coalesce(er.published_id, e.family_id) as published_family_id,
        e.attached_on,
        e.key_worker
    from engagements as e
    left join engagement_redirects as er on er.row_number = e.row_number
),

resolved as (
    select
        er.row_number,
        er.published_family_id,
        er.attached_on,
        er.key_worker,
        case
            when present.family_id is not null then present.family_id
            when successor.family_id is not null then successor.family_id
        end as family_id
    from engagement_rows as er
    left join families_base as present on present.family_id = er.published_family_id
    left join int_family_ids__current as cf on cf.old_id = er.published_family_id
    left join families_base as successor on successor.family_id = cf.family_id
),

family_dates as (
    select
        r.family_id,
        min(r.attached_on) filter (where r.attached_on <= $as_of) as judged_on,
        arg_min(r.row_number, (r.attached_on, r.row_number)) filter (where r.attached_on <= $as_of)
            as deciding_row
    from resolved as r
    where r.family_id is not null
    group by r.family_id
),

final as (
    select
        r.row_number,
        r.published_family_id,
        r.attached_on,
        r.key_worker,
        r.family_id,
        r.family_id is not null and r.family_id <> r.published_family_id as redirected,
        fd.judged_on,
        fd.deciding_row
    from resolved as r
    left join family_dates as fd on fd.family_id = r.family_id
    order by r.row_number
)

select * from final
