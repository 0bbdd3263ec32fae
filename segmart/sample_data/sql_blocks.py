"""SQL building blocks: lists of literals, weighted choices, the seeded random macros, and the
vocabularies (pages, countries, companies, channels and their UTM tagging) draws pick from."""

from __future__ import annotations

from collections.abc import Sequence

from segmart.sql import duckdb_string


def sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(duckdb_string(v) for v in values) + "]"


def weighted(u: str, choices: Sequence[tuple[str, float]]) -> str:
    """CASE picking a value with the given relative weights from the uniform number ``u``."""
    total = sum(weight for _, weight in choices)
    whens, cumulative = [], 0.0
    for value, weight in choices[:-1]:
        cumulative += weight / total
        whens.append(f"when {u} < {cumulative:.6f} then {duckdb_string(value)}")
    return f"case {' '.join(whens)} else {duckdb_string(choices[-1][0])} end"


BLOG_SLUGS = (
    "how-to-choose-running-shoes",
    "spring-collection-2026",
    "sustainable-materials",
    "customer-story-acme",
    "warehouse-native-analytics",
    "gift-guide",
    "size-guide",
    "product-updates-october",
)
DOC_PAGES = (
    "getting-started",
    "api/events",
    "integrations/segment",
    "billing",
    "reports/exports",
    "account/sso",
)
APP_PAGES = ("dashboard", "reports", "settings", "editor", "integrations")
CATEGORIES = ("Shoes", "Apparel", "Accessories", "Bags", "Outdoor", "Kids", "Sale")
COUNTRIES = (
    ("US", "en-US", 36),
    ("GB", "en-GB", 8),
    ("DE", "de-DE", 8),
    ("IN", "en-IN", 8),
    ("BR", "pt-BR", 7),
    ("FR", "fr-FR", 6),
    ("CA", "en-CA", 5),
    ("ES", "es-ES", 4),
    ("IT", "it-IT", 4),
    ("MX", "es-MX", 3),
    ("JP", "ja-JP", 3),
    ("AU", "en-AU", 3),
    ("NL", "nl-NL", 3),
)
COMPANY_PREFIXES = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Soylent",
    "Vandelay", "Pied Piper", "Cyberdyne", "Tyrell", "Massive", "Aperture", "Oscorp", "Monarch",
    "Dunder", "Nakatomi", "Gringotts", "Blue Sun", "Weyland", "Duff", "Krusty", "Bluth",
    "Sterling", "Prestige", "Rekall", "Virtucon", "Zorg", "Oceanic", "Dharma", "Genco", "Nimbus",
    "Quartz", "Lumen", "Vertex", "Orbit", "Cobalt", "Juniper",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Inc", "Labs", "Group", "Systems", "Industries", "Analytics", "Retail", "Partners", "Co",
    "Technologies",
)  # fmt: skip
INDUSTRIES = ("Retail", "Software", "Finance", "Healthcare", "Education", "Media", "Logistics")
# A custom identify trait (not one of Segment's reserved traits), as teams add their own.
JOB_FUNCTIONS = ("engineering", "product", "marketing", "sales", "data", "founder")
FIRST_NAMES = (
    "Ana", "Ben", "Chloe", "Diego", "Emma", "Farah", "Gabriel", "Hana", "Ivan", "Julia", "Kenji",
    "Lena", "Mateo", "Nina", "Omar", "Priya", "Quinn", "Rafael", "Sofia", "Tom",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Smith", "Müller", "Garcia", "Kumar", "Martin", "Rossi", "Tanaka", "Brown", "Dubois",
    "Novak", "Jensen", "Costa", "Lee", "Okafor", "Schmidt",
)  # fmt: skip


def macros_sql(seed: int) -> str:
    # hash(salt) of a constant string is folded at plan time, so string salts cost nothing. The
    # outer hash() matters: DuckDB combines the hashes of several arguments with a xor, which
    # would make draws with different salts for the same key strongly correlated.
    return f"""
create or replace macro seeded_hash(key, salt) as
    hash(hash({seed}, key::bigint, hash(salt)));
-- uniform in [0, 1): the top 53 bits of the seeded hash
create or replace macro rnd(key, salt) as
    (seeded_hash(key, salt) >> 11) / 9007199254740992.0;
create or replace macro pick(options, u) as options[1 + floor(u * len(options))::integer];
-- RFC 4122 version-4 shaped text from two 64-bit hashes
create or replace macro uuid_text(h1, h2) as format(
    '{{:08x}}-{{:04x}}-4{{:03x}}-{{:04x}}-{{:012x}}',
    h1 >> 32, (h1 >> 16) & 65535, h1 & 4095, 32768 | ((h2 >> 48) & 16383), h2 & 281474976710655
);
create or replace macro iso_time(ms) as strftime(epoch_ms(ms), '%Y-%m-%dT%H:%M:%S.%gZ');
create or replace macro user_id_text(n) as printf('u_%06d', n);
-- page view j of a session: one every step_ms on average, jittered within its own slot, so page
-- views stay in order and never more than two steps apart
create or replace macro page_ms(start_ms, step_ms, sid, j) as
    start_ms + j * step_ms + floor(rnd(sid * 64 + j, 'page_jitter') * 0.5 * step_ms)::bigint;
create or replace macro product_id(u) as 1000 + floor(u * u * 400)::integer;
-- a fixed catalog: the same product has the same price in every run
create or replace macro product_price(product) as (4 + hash(product) % 296)::double + 0.99;
create or replace macro browse_path(intent, u, w) as case intent
    when 'shop' then case
        when u < 0.55 then '/products/' || product_id(w)
        when u < 0.70 then '/'
        when u < 0.80 then '/cart'
        when u < 0.90 then '/pricing'
        else '/blog/' || pick({sql_list(BLOG_SLUGS)}, w)
    end
    when 'content' then case
        when u < 0.50 then '/blog/' || pick({sql_list(BLOG_SLUGS)}, w)
        when u < 0.85 then '/docs/' || pick({sql_list(DOC_PAGES)}, w)
        when u < 0.93 then '/pricing'
        else '/'
    end
    when 'app' then case
        when u < 0.80 then '/app/' || pick({sql_list(APP_PAGES)}, w)
        else '/app/projects/' || (1 + floor(w * 40)::integer)
    end
    -- before signing up: marketing pages
    else case
        when u < 0.40 then '/pricing'
        when u < 0.60 then '/'
        when u < 0.80 then '/docs/' || pick({sql_list(DOC_PAGES)}, w)
        else '/blog/' || pick({sql_list(BLOG_SLUGS)}, w)
    end
end;
create or replace macro page_name(path) as case
    when path = '/' then 'Home'
    when path like '/products/%' then 'Product'
    when path = '/cart' then 'Cart'
    when path = '/checkout' then 'Checkout'
    when path = '/checkout/complete' then 'Order Confirmation'
    when path = '/pricing' then 'Pricing'
    when path = '/signup' then 'Sign Up'
    when path like '/blog/%' then 'Blog Post'
    when path like '/docs/%' then 'Docs'
    when path like '/app/projects/%' then 'Project'
    when path like '/app/%' then upper(path[6]) || path[7:]
    else 'Other'
end;
"""


def channel_mix(u: str) -> str:
    return weighted(
        u,
        [
            ("direct", 22),
            ("organic_search", 24),
            ("organic_social", 9),
            ("paid_search", 14),
            ("paid_social", 10),
            ("email", 6),
            ("referral", 10),
            ("other", 5),
        ],
    )


def returning_channel_mix(u: str) -> str:
    return weighted(
        u,
        [
            ("direct", 40),
            ("organic_search", 18),
            ("organic_social", 5),
            ("paid_search", 8),
            ("paid_social", 6),
            ("email", 14),
            ("referral", 5),
            ("other", 4),
        ],
    )


def campaign_columns(channel: str, salt: str, prefix: str, referrer_column: str) -> tuple[str, str]:
    """UTM fields and referrer of an arrival through ``channel``: (select-list items, source).

    The source is returned separately because medium and referrer depend on it, so it has to be
    computed one select earlier.
    """

    def u(name: str) -> str:
        return f"rnd(sid, '{salt}_{name}')"

    paid_search_medium = weighted(
        u("medium"),
        [("cpc", 50), ("CPC", 10), (" ppc ", 8), ("paid_search", 12), ("Paid Search", 10),
         ("sem", 10)],
    )  # fmt: skip
    social_source = weighted(
        u("source"), [("facebook", 45), ("instagram", 25), ("linkedin", 20), ("tiktok", 10)]
    )
    source = f"""case {channel}
            when 'paid_search' then case when {u("source")} < 0.8 then 'google' else 'bing' end
            when 'paid_social' then {social_source}
            when 'email' then pick(['newsletter', 'braze', 'mailchimp'], {u("source")})
            when 'other' then pick(['rakuten', 'awin', 'criteo', 'taboola'], {u("source")})
        end"""
    medium = f"""case {channel}
            when 'paid_search' then {paid_search_medium}
            when 'paid_social' then case
                -- Facebook ads tagged like search ads: only the referrer tells them apart
                when {prefix}utm_source = 'facebook' and {u("medium")} < 0.25 then 'cpc'
                else pick(['paid-social', 'paid_social', 'paidsocial'], {u("medium_style")})
            end
            when 'email' then case when {u("medium")} < 0.8 then 'email' else 'Email' end
            when 'other' then case when {prefix}utm_source in ('rakuten', 'awin')
                then 'affiliate' else 'display' end
        end"""
    campaign = f"""case {channel}
            when 'paid_search' then pick(['brand_search', 'generic_shoes', 'competitor_terms',
                'spring_sale'], {u("name")})
            when 'paid_social' then pick(['spring_sale', 'retargeting_cart', 'lookalike_q4',
                'brand_video'], {u("name")})
            when 'email' then pick(['weekly_digest', 'cart_reminder', 'product_launch',
                'winback'], {u("name")})
            when 'other' then pick(['partners_q4', 'black_friday_deals'], {u("name")})
        end"""
    term = f"""case when {channel} = 'paid_search' then pick(['running shoes',
            'buy sneakers online', 'example shop', 'best trail shoes', 'waterproof jacket'],
            {u("term")}) end"""
    content = f"""case
            when {channel} in ('paid_social', 'email') and {u("content")} < 0.7
                then pick(['carousel_1', 'video_15s', 'header_cta', 'hero_image'], {u("content")})
            when {channel} = 'paid_search' and {u("content")} < 0.3 then 'ad_variant_b'
        end"""
    search_engine = weighted(
        u("referrer"),
        [("https://www.google.com/", 75), ("https://www.bing.com/", 10),
         ("https://duckduckgo.com/", 8), ("https://search.yahoo.com/", 4),
         ("https://www.ecosia.org/", 3)],
    )  # fmt: skip
    social_site = f"""case
                when {u("referrer")} < 0.40 then 'https://l.facebook.com/'
                when {u("referrer")} < 0.60
                    then 'https://t.co/' || lower(hex(seeded_hash(sid, 't_co')))[1:10]
                when {u("referrer")} < 0.80 then 'https://www.linkedin.com/'
                when {u("referrer")} < 0.92 then 'https://www.reddit.com/'
                else 'https://l.instagram.com/'
            end"""
    referral_site = f"""pick(['https://news.ycombinator.com/', 'https://www.producthunt.com/',
                'https://medium.com/', 'https://partner-blog.example.org/',
                'https://techcrunch.com/'], {u("referrer")})"""
    referrer = f"""case {channel}
            when 'organic_search' then {search_engine}
            when 'organic_social' then {social_site}
            when 'paid_search' then case when {prefix}utm_source = 'google'
                then 'https://www.google.com/' else 'https://www.bing.com/' end
            when 'paid_social' then case {prefix}utm_source
                when 'facebook' then 'https://l.facebook.com/'
                when 'instagram' then 'https://l.instagram.com/'
                when 'linkedin' then 'https://www.linkedin.com/'
                else 'https://www.tiktok.com/'
            end
            when 'email' then case when {u("referrer")} < 0.3 then 'https://mail.google.com/' end
            when 'referral' then {referral_site}
            when 'other' then case when {u("referrer")} < 0.5
                then 'https://deals.partner-network.example.net/' end
        end"""
    return (
        f"""
        {medium} as {prefix}utm_medium,
        {campaign} as {prefix}utm_campaign,
        {term} as {prefix}utm_term,
        {content} as {prefix}utm_content,
        {referrer} as {referrer_column}""",
        source,
    )


def page_path(j: str) -> str:
    """Path of page view ``j`` of the session on the current row."""
    return f"""case
            when {j} = 0 then landing_path
            when {j} = switch_j then switch_path
            when is_signup_session and {j} = n_pages - 1 then '/signup'
            when {j} = n_pages - funnel_depth then '/products/' || funnel_product
            when {j} > n_pages - funnel_depth then
                ['/cart', '/checkout', '/checkout/complete'][{j} - (n_pages - funnel_depth)]
            else browse_path(intent, rnd(sid * 64 + {j}, 'browse'),
                rnd(sid * 64 + {j}, 'browse_item'))
        end"""
