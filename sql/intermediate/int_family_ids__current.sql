-- Every family id ever retired, and the id it is now: id_redirects (kind 'family', written
-- by matching/ids.py when two families merge) followed through chains. History and
-- claims kept under a retired id count for the family it became.
-- Grain: one row per retired family id.

with recursive

redirect_chain as (
    select
        r.old_id,
        r.new_id,
        1 as hops
    from id_redirects as r
    where r.kind = 'family'
    union all
    select
        rc.old_id,
        r.new_id,
        rc.hops + 1 as hops
    from redirect_chain as rc
    inner join id_redirects as r
        on r.old_id = rc.new_id and r.kind = 'family'
    where rc.hops < 20
),

final as (
    select
        rc.old_id,
        arg_max(rc.new_id, rc.hops) as family_id
    from redirect_chain as rc
    group by rc.old_id
)

select * from final
