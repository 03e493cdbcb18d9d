-- The adult members (aged $adult_age or more at T: int_household_members__aged.is_adult)
-- of the families in the programme this window (int_family_attachment), whose work the
-- employment results and the claim workbook read. Grain: one row per family x adult.

with

final as (
    select
        m.family_id,
        m.person_id
    from int_household_members__aged as m
    inner join int_family_attachment as fa on fa.family_id = m.family_id
    where m.is_adult
)

select * from final
