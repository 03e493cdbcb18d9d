-- Every row of the engagements extract in exactly one state (rules.md "Phase 1 results":
-- an engaged family is judged as at its attachment date; nothing is dropped silently):
--   admitted          the family was automatic or discretionary on judged_on
--   redirected        as admitted, but the row named a retired family id, followed to the
--                     family it was merged into (family_id)
--   not_in_programme  the family was not automatic or discretionary on judged_on (the
--                     criteria it met that day are listed), or every row of the family is
--                     dated after $as_of (not yet attached)
--   unknown_family    no family has the row's family_id now, nor a family it was merged into
-- The family is judged once, on its earliest attachment (int_engagements__resolved), from
-- attachment_status and attachment_flags (cohort.programme.as_at, on the membership at
-- $as_of). Where a run of this warehouse was made on judged_on and found another status
-- (its membership was that day's), the reason says so: rules.md's reading is kept.
-- state values are cohort.programme.engagements.EngagementState. Grain: one row per row.

with

engaged as (
    select r.*
    from int_engagements__resolved as r
),

met_that_day as (
    select
        af.family_id,
        af.as_of,
        string_agg(af.criterion, ', ' order by pc.position) filter (where af.met) as criteria_met,
        coalesce(bool_or(af.met and af.criterion = 'education'), false) as education
    from attachment_flags as af
    left join programme_criteria as pc
        on pc.programme = af.programme and pc.criterion = af.criterion
    group by af.family_id, af.as_of
),

history_then as (
    select
        fh.family_id,
        fh.as_of,
        string_agg(distinct fh.status, ' / ') as history_status
    from int_family_history__current as fh
    group by fh.family_id, fh.as_of
),

judged as (
    select
        e.*,
        st.status as status_on_attachment,
        coalesce(m.criteria_met, 'none') as criteria_met_on_attachment,
        coalesce(m.education, false) as education_on_attachment,
        h.history_status,
        case
            when e.family_id is null then 'unknown_family'
            when e.judged_on is null then 'not_in_programme'
            when not list_contains($in_programme_statuses, st.status) then 'not_in_programme'
            when e.redirected then 'redirected'
            else 'admitted'
        end as state,
        case when e.row_number <> e.deciding_row
            then format(' (the family is judged on its earliest engagement, row {})', e.deciding_row)
            else '' end as row_note,
        case when h.history_status is not null and h.history_status <> st.status
            then format('; the run as of {} found it {} on that day''s membership, but rules.md '
                        || 'judges it on the membership at {}', strftime(e.judged_on, '%Y-%m-%d'),
                        h.history_status, strftime(cast($as_of as date), '%Y-%m-%d'))
            else '' end as history_note
    from engaged as e
    left join attachment_status as st on st.family_id = e.family_id and st.as_of = e.judged_on
    left join met_that_day as m on m.family_id = e.family_id and m.as_of = e.judged_on
    left join history_then as h on h.family_id = e.family_id and h.as_of = e.judged_on
),

final as (
    select
        j.row_number,
        j.published_family_id,
        j.attached_on,
        j.key_worker,
        j.family_id,
        j.judged_on,
        j.deciding_row,
        j.status_on_attachment,
        j.criteria_met_on_attachment,
        j.education_on_attachment,
        j.history_status,
        j.state,
        case
            when j.state = 'unknown_family' then format(
                'no family {} in this run, and it was not merged into a family that is',
                j.published_family_id)
            when j.judged_on is null then format(
                'attached on {}, after the as-of date {}: not yet in the programme',
                strftime(j.attached_on, '%Y-%m-%d'), strftime(cast($as_of as date), '%Y-%m-%d'))
            else format(
                '{}{} on {}{} (criteria met that day: {}){}{}',
                case when j.redirected
                    then format('family {} was merged into {}, which was ', j.published_family_id,
                                j.family_id)
                    else '' end,
                replace(j.status_on_attachment, '_', ' '), strftime(j.judged_on, '%Y-%m-%d'), j.row_note,
                j.criteria_met_on_attachment,
                case when j.state = 'not_in_programme'
                    then ': not automatic or discretionary, so not in the programme' else '' end,
                j.history_note)
        end as reason
    from judged as j
    order by j.row_number
)

select * from final
