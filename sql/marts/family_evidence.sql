-- Why each met criterion is met: one row per family x criterion x evidence item, read from
-- `flags` (the rule outputs of this run's programme). detail is a short line for the
-- district lists: the source, the date and what the row says (no names or addresses).

with

met_flags as (
    select
        f.family_id,
        f.criterion,
        f.evidence
    from flags as f
    where f.met
),

items as (
    select
        mf.family_id,
        mf.criterion,
        unnest(mf.evidence) as item
    from met_flags as mf
),

final as (
    select
        i.family_id,
        i.criterion,
        unnest(i.item),  -- source, record_id, person_id, event_date, value
        i.item.source || ' ' || coalesce(strftime(i.item.event_date, '%Y-%m-%d'), 'undated')
            || ': ' || coalesce(i.item.value, '') as detail
    from items as i
    order by i.family_id, i.criterion, i.item.event_date, i.item.source, i.item.record_id
)

select * from final
