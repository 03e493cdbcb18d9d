-- Families that changed since the previous run, for the "Changes since last run" sheet of
-- each district list (issue 4). The previous run is the earlier attempt of this month when
-- it was kept (`family_history_replaced`: a re-run after importing reviewers' decisions on
-- that attempt's workbook), else the latest earlier as-of date of the same programme in
-- family_history; on a first run there is none and nothing is listed. A merge or split
-- counts only against a family of the previous run (a re-run does not repeat the earlier
-- attempt's).
-- Only families listed ($listed_statuses: automatic, discretionary or candidate) in either
-- run are shown.
--   new             a family id not in the previous run (and not split off another family)
--   left            a family of the previous run that no longer exists and was not merged
--   status_changed  the same family, in the same district, with another status
--   moved_in        the same family, now in this district, before in another
--   moved_out       the same family, now in another district (shown to the district it left)
--   merged          the family absorbed another (id_redirects: the other's id is retired)
--   split           some members of this family now form (or joined) another family (id_splits)
--   split_off       this family was formed by members who left another (id_splits)
-- `district` is the district whose list shows the row: the previous district for
-- moved_out and left, the current one otherwise.
-- Grain: one row per family, change and related family.

with

history as (
    select
        fh.as_of,
        fh.family_id,
        fh.district,
        fh.status
    from family_history as fh
    where fh.programme = $programme
),

replaced as (
    select
        fr.family_id,
        fr.district,
        fr.status
    from family_history_replaced as fr
    where fr.programme = $programme
      and fr.as_of = $as_of
),

previous_run as (
    select
        case
            when exists (select 1 from replaced) then cast($as_of as date)
            else (select max(h.as_of) from history as h where h.as_of < $as_of)
        end as previous_as_of
),

cur as (
    select
        h.family_id,
        h.district,
        h.status
    from history as h
    where h.as_of = $as_of
),

prev as (
    select
        r.family_id,
        r.district,
        r.status
    from replaced as r

    union all

    select
        h.family_id,
        h.district,
        h.status
    from history as h
    inner join previous_run as pr on h.as_of = pr.previous_as_of
    where h.as_of < $as_of
),

merges as (
    select
        r.old_id,
        r.new_id
    from id_redirects as r
    where r.kind = 'family'
      and r.as_of = $as_of
      and r.old_id in (select p.family_id from prev as p)
),

splits as (
    select
        s.from_id,
        s.to_id
    from id_splits as s
    where s.kind = 'family'
      and s.as_of = $as_of
      and s.from_id in (select p.family_id from prev as p)
      and s.to_id not in (select p.family_id from prev as p)
),

-- A family on both lists changed status within its district, or moved (listed on both sides).
kept_changes as (
    select * from (values ('status_changed', false), ('moved_in', true), ('moved_out', true))
        as kc(change, moved)
),

-- Families this run that took in another: by a merge or by splitting off.
joined as (
    select m.new_id as family_id, 'merged' as change, m.old_id as related_family_id
    from merges as m
    union all
    select s.to_id as family_id, 'split_off' as change, s.from_id as related_family_id
    from splits as s
),

changes as (
    select
        c.family_id,
        c.district,
        'new' as change,
        cast(null as varchar) as previous_status,
        c.status,
        cast(null as varchar) as related_family_id
    from cur as c
    where c.family_id not in (select p.family_id from prev as p)
      and c.family_id not in (select s.to_id from splits as s)

    union all

    select
        p.family_id,
        p.district,
        'left' as change,
        p.status as previous_status,
        cast(null as varchar) as status,
        cast(null as varchar) as related_family_id
    from prev as p
    where p.family_id not in (select c.family_id from cur as c)
      and p.family_id not in (select m.old_id from merges as m)

    union all

    select
        c.family_id,
        case kc.change when 'moved_out' then p.district else c.district end as district,
        kc.change,
        p.status as previous_status,
        c.status,
        cast(null as varchar) as related_family_id
    from cur as c
    inner join prev as p on p.family_id = c.family_id
    inner join kept_changes as kc
        on kc.moved = (c.district <> p.district)
    where kc.moved or c.status <> p.status

    union all

    select
        c.family_id,
        c.district,
        j.change,
        p.status as previous_status,
        c.status,
        j.related_family_id
    from joined as j
    inner join cur as c on c.family_id = j.family_id
    left join prev as p on p.family_id = j.family_id

    union all

    select
        p.family_id,
        coalesce(c.district, p.district) as district,
        'split' as change,
        p.status as previous_status,
        c.status,
        s.to_id as related_family_id
    from splits as s
    inner join prev as p on p.family_id = s.from_id
    left join cur as c on c.family_id = s.from_id
),

final as (
    select
        ch.family_id,
        ch.district,
        ch.change,
        ch.previous_status,
        ch.status,
        ch.related_family_id,
        pr.previous_as_of,
        case ch.change
            when 'new' then 'new family on the list'
            when 'left' then 'no longer formed: its members moved away or are no longer in the extracts'
            when 'status_changed' then format('status {} -> {}', ch.previous_status, ch.status)
            when 'moved_in' then 'moved in from another district'
            when 'moved_out' then 'moved to another district'
            when 'merged' then format('family {} was merged into this family', ch.related_family_id)
            when 'split' then format('some members now in family {}', ch.related_family_id)
            when 'split_off' then format('split off from family {}', ch.related_family_id)
        end as detail
    from changes as ch
    cross join previous_run as pr
    where pr.previous_as_of is not null
      and (list_contains($listed_statuses, ch.previous_status)
           or list_contains($listed_statuses, ch.status))
    order by ch.district, ch.change, ch.family_id, ch.related_family_id
)

select * from final
