{#- For each ordered pair of different segments of the same grain: the members of each, the
    members they share, and the share of the first segment's members that are also in the other
    (overlap_share; read "x% of segment_name is also in other_segment_name"). Empty segments
    are listed with 0 shared and null shares. -#}
with

segments as (
    select
        segment_name,
        grain,
        members
    from {{ ref('segment_catalog') }}
),

memberships as (
    select
        segment_name,
        grain,
        member_key
    from {{ ref('segment_memberships') }}
),

shared as (
    select
        memberships.segment_name,
        other_memberships.segment_name as other_segment_name,
        count(*) as shared_members
    from memberships
    inner join memberships as other_memberships
        on
            memberships.grain = other_memberships.grain
            and memberships.member_key = other_memberships.member_key
            and memberships.segment_name <> other_memberships.segment_name
    group by memberships.segment_name, other_memberships.segment_name
),

pairs as (
    select
        segments.segment_name,
        other_segments.segment_name as other_segment_name,
        segments.grain,
        segments.members,
        other_segments.members as other_members,
        coalesce(shared.shared_members, 0) as shared_members
    from segments
    inner join segments as other_segments
        on
            segments.grain = other_segments.grain
            and segments.segment_name <> other_segments.segment_name
    left join shared
        on
            segments.segment_name = shared.segment_name
            and other_segments.segment_name = shared.other_segment_name
),

final as (
    select
        segment_name,
        other_segment_name,
        grain,
        members,
        other_members,
        shared_members,
        {{ segmart.ratio('shared_members', 'members') }} as overlap_share,
        {{ segmart.ratio('shared_members', 'members + other_members - shared_members') }}
            as jaccard_index
    from pairs
)

select * from final
