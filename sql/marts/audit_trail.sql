-- The audit trail: every identification flag and result of a family traced to the source
-- rows behind it (extract, record_id, date, value) with how sure matching is that each row
-- belongs to the person named (person_links.match_confidence and match_reason), plus the
-- attachment's source. Reads the latest run's flags and result_flags. $family_ids limits
-- it to some families; null gives every family. Person ids only: no names.

with

wanted as (
    select
        unnest(cast($family_ids as varchar[])) as family_id
),

outcomes as (
    select
        f.family_id,
        'criterion' as item_kind,
        f.criterion as item,
        f.met as outcome,
        f.evidence
    from flags as f

    union all

    select
        rf.family_id,
        'result' as item_kind,
        rf.result as item,
        rf.achieved as outcome,
        rf.evidence
    from result_flags as rf
),

outcome_items as (
    select
        o.family_id,
        o.item_kind,
        o.item,
        o.outcome,
        unnest(o.evidence) as e
    from outcomes as o
    where $family_ids is null or o.family_id in (select w.family_id from wanted as w)
),

attachment as (
    select
        fa.family_id,
        'attachment' as item_kind,
        fa.attachment_source as item,
        true as outcome,
        {
            'source': case
                when fa.attachment_source = 'engagements' then 'engagements' else 'family_history'
            end,
            'record_id': fa.attachment_record,
            'person_id': cast(null as varchar),
            'event_date': fa.attached_on,
            'value': format(
                'attached on {} ({}), {} that day; first identified {}{}',
                strftime(fa.attached_on, '%Y-%m-%d'), fa.attachment_source, fa.status_on_attachment,
                coalesce(strftime(fa.first_identified, '%Y-%m-%d') || ' as ' || fa.identified_status,
                         'by no run of this warehouse'),
                coalesce(' (' || fa.attachment_note || ')', '')
            )
        } as e
    from int_family_attachment as fa
    where $family_ids is null or fa.family_id in (select w.family_id from wanted as w)
),

items as (
    select * from attachment
    union all select * from outcome_items
),

final as (
    select
        i.family_id,
        i.item_kind,
        i.item,
        i.outcome,
        unnest(i.e),  -- source, record_id, person_id, event_date, value
        pl.match_confidence,
        pl.match_reason
    from items as i
    left join person_links as pl on pl.source = i.e.source and pl.record_id = i.e.record_id
    order by
        i.family_id,
        case i.item_kind when 'attachment' then 1 when 'criterion' then 2 else 3 end,
        i.item,
        i.e.event_date,
        i.e.source,
        i.e.record_id,
        i.e.person_id nulls first,
        i.e.value nulls first,
        i.outcome
)

select * from final
