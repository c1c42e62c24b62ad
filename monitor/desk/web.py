"""`monitor web`: the database as a browsable desk, served by Datasette (optional extra).

Datasette does the web part (tables, facets, full-text search, JSON and CSV for every
view, SQL); this module supplies what makes it a desk for this database: titles and
descriptions of each table, the canned queries an analyst asks every day, facets by
topic, language and feed, search through the items' FTS index with the matcher's
normalisation, and links that open (item and story numbers lead to their pages, article
URLs to the article).

Read-only: Datasette reads through `mode=ro` connections and no canned query writes.
It binds to 127.0.0.1 unless told otherwise, since it has no login.

    build_datasette(db_path) -> Datasette      (what the tests drive with its client)
    serve(db_path, host, port)                 (uvicorn, until Ctrl-C)
"""
from __future__ import annotations

import logging
from pathlib import Path

from datasette import hookimpl
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm
from markupsafe import Markup, escape

from monitor.store import Store
from monitor.store.search import fts_query

log = logging.getLogger("monitor.web")
PLUGIN_NAME = "feed-monitor-desk"
DATABASE_NAME = "monitor"
_SERVED: set[str] = set()  # names of the databases this process serves as a desk


def search_query(text: str | None) -> str:
    """The FTS5 expression for what was typed; a query with no word finds nothing."""
    try:
        return fts_query(text or "")
    except ValueError:
        return '""'  # the empty phrase: matches nothing


class _DeskPlugin:
    @staticmethod
    @hookimpl
    def prepare_connection(conn):
        # The search canned query normalises what was typed like the index was.
        conn.create_function("monitor_search_query", 1, search_query, deterministic=True)

    @staticmethod
    @hookimpl(tryfirst=True)
    def handle_exception(datasette, request, exception):
        # One line per refused or failed request. Datasette's own handler (which still
        # renders the error page, as this returns None) would print a rich traceback with
        # every local variable, ~300 lines for one rejected query.
        status = getattr(exception, "status", 500)
        message = " ".join(str(exception.args[0] if exception.args else exception).split())[:200]
        log.warning("web: %s %s -> %s %s", request.method, request.path, status, message)
        return None

    @staticmethod
    @hookimpl
    def render_cell(row, value, column, table, database, datasette):
        if database not in _SERVED or value is None or not isinstance(value, int):
            return None
        if column in ("story", "story_id") or (table == "stories" and column == "related_to"):
            href = datasette.urls.path(f"/{database}/story_reports?story={value}")
            return Markup(f'<a href="{escape(href)}">s{value}</a>')
        if column in ("item", "item_id") and table != "items":
            href = datasette.urls.path(f"/{database}/items/{value}")
            return Markup(f'<a href="{escape(href)}">#{value}</a>')
        return None


def _register_plugin() -> None:
    if not pm.has_plugin(PLUGIN_NAME):
        pm.register(_DeskPlugin, name=PLUGIN_NAME)


QUERIES = {
    "latest_matches": {
        "title": "Latest matches",
        "description": "Matched items, newest first, with their story, score, outlet and review.",
        "sql": """
select i.id as item, i.published, i.lang, coalesce(f.name, f.title, f.url) as outlet, i.title,
       coalesce(i.link, i.url) as url, m.topic, round(m.score, 2) as score, m.story_id as story, s.title as story_title,
       s.item_count as story_reports, m.alerted, m.quiet_reason, r.verdict as review
from matches m join items i on i.id = m.item_id join feeds f on f.id = i.feed_id
left join stories s on s.id = m.story_id
left join reviews r on r.item_id = m.item_id and r.topic = m.topic
where m.matched = 1 and (:topic = '' or m.topic = :topic)
order by coalesce(i.published, i.fetched_at) desc, i.id desc limit 200""",
        "params": ["topic"],
    },
    "story_reports": {
        "title": "Reports of one story",
        "description": "Every report of one story (its number, as in `monitor show sN`), in order of arrival.",
        "sql": """
select s.id as story, s.title as story_title, i.id as item, i.published, i.lang,
       coalesce(f.name, f.title, f.url) as outlet, i.title, coalesce(i.link, i.url) as url, m.relation, m.relation_reason,
       round(m.score, 2) as score, r.verdict as review
from stories s join matches m on m.story_id = s.id join items i on i.id = m.item_id
join feeds f on f.id = i.feed_id
left join reviews r on r.item_id = m.item_id and r.topic = m.topic
where s.id = :story order by coalesce(i.published, i.fetched_at), i.id""",
        "params": ["story"],
    },
    "failing_feeds": {
        "title": "Failing feeds",
        "description": "Enabled feeds whose last fetch failed: the error, how many in a row, the next try.",
        "sql": """
select id as feed, coalesce(name, title) as name, url, error_count as errors_in_a_row, last_status,
       last_error, last_success_at, next_check_at
from feeds where enabled = 1 and error_count > 0 order by error_count desc, id""",
    },
    "undelivered_alerts": {
        "title": "Undelivered alerts",
        "description": "Alerts pending, retrying or expired, with each target's result.",
        "sql": """
select a.id as alert, a.topic, a.kind, a.status, a.attempts, a.created_at, a.next_attempt_at, a.expires_at,
       a.story_id as story, a.title, a.last_error,
       (select group_concat(t.label || ': ' || t.status, '; ') from alert_targets t where t.alert_id = a.id)
         as targets
from alerts a where a.status in ('pending', 'failed', 'expired') order by a.id desc limit 500""",
    },
    "search": {
        "title": "Search every item",
        "description": ("Full-text search over every stored item, typed as you like: case, accents, "
                        "Arabic letter forms, Russian case endings and every spelling of S-400 do not "
                        "matter (اس 400 finds إس-400). Every word must occur; a trailing * matches any ending."),
        "sql": """
select i.id as item, i.published, i.lang, coalesce(f.name, f.title, f.url) as outlet, i.title, coalesce(i.link, i.url) as url,
       m.topic, round(m.score, 2) as score, m.story_id as story
from items_search_fts x join items i on i.id = x.rowid join feeds f on f.id = i.feed_id
left join matches m on m.item_id = i.id and m.matched = 1
where items_search_fts match monitor_search_query(:q)
order by x.rank limit 200""",
        "params": ["q"],
    },
}


for _query in QUERIES.values():
    _query["hide_sql"] = True  # results first; "show" reveals the SQL to adapt


def metadata(name: str) -> dict:
    """Datasette metadata for the database served as `name`."""
    return {
        "title": "feed-monitor desk",
        "description": "Matched items, stories, feeds and alerts of this monitor (read-only). "
                       "Start with the canned queries below; every table has facets, JSON and CSV.",
        "databases": {name: {
            "title": "feed-monitor",
            "description": "One row per item, match, story, feed and alert. Canned queries first.",
            "queries": QUERIES,
            "tables": {
                "items": {
                    "title": "Items",
                    "description": "Every stored entry (unmatched ones are pruned after [monitor] retention). "
                                   "Search finds words as stored; the `search` query also finds other spellings.",
                    "facets": ["lang", "feed_id"],
                    "sort_desc": "fetched_at",
                    "fts_table": "items_search_fts",
                    "fts_pk": "id",
                    "label_column": "title",
                },
                "matches": {
                    "title": "Matches",
                    "description": "How each item scored against each topic, why, and the story it joined.",
                    "facets": ["topic", "matched", "alerted", "relation"],
                    "sort_desc": "created_at",
                },
                "stories": {
                    "title": "Stories",
                    "description": "Events: matched items from many outlets and languages folded into one.",
                    "facets": ["topic", "breaking"],
                    "sort_desc": "last_seen",
                    "label_column": "title",
                },
                "feeds": {
                    "title": "Feeds",
                    "description": "Every feed with its fetch health: last success, errors in a row, next check.",
                    "facets": ["enabled", "origin", "last_status"],
                    "label_column": "name",
                },
                "alerts": {
                    "title": "Alerts (outbox)",
                    "description": "Every alert queued, its status and attempts; alert_targets has each target's result.",
                    "facets": ["status", "kind", "topic"],
                    "sort_desc": "id",
                },
                "alert_targets": {"title": "Alert deliveries", "facets": ["status", "label"]},
                "reviews": {"title": "Reviews", "description": "Verdicts from `monitor review` and `monitor triage`.",
                            "facets": ["verdict", "topic"]},
                "item_sources": {"title": "Where each item was seen", "hidden": False},
                "items_search": {"hidden": True},
                "meta": {"hidden": True},
            },
        }},
    }


def _quiet_default_error_handler() -> None:
    """Datasette prints every exception, a rejected query included, with rich's traceback
    and its local variables (query text, rows) when rich is installed, as it is here
    (Textual needs it); no setting turns that off. Its handler is told rich is absent: an
    unexpected error (500) still gets a plain traceback, a 400 only our one line."""
    import datasette.handle_exception as default_handler

    default_handler.rich = None


def build_datasette(db_path: str | Path) -> Datasette:
    """A Datasette over the monitor's database, read-only, with the desk's metadata."""
    db_path = Path(db_path)
    if not db_path.is_file():
        raise FileNotFoundError(f"database {db_path} does not exist yet (run `monitor poll` first)")
    with Store.open(db_path, create=False) as store:
        # Datasette only reads: index what `monitor poll` stored since (the daemon keeps
        # it current while it runs).
        store.update_search_index()
    _register_plugin()
    _quiet_default_error_handler()
    _SERVED.add(DATABASE_NAME)
    datasette = Datasette(metadata=metadata(DATABASE_NAME),
                          settings={"default_page_size": 50, "sql_time_limit_ms": 3000, "allow_download": False})
    # Served as /monitor whatever the file is called, so links and bookmarks hold.
    datasette.add_database(Database(datasette, path=str(db_path), is_mutable=True), name=DATABASE_NAME)
    return datasette


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve until interrupted. OSError when the address cannot be listened on."""
    import socket

    import uvicorn

    datasette = build_datasette(db_path)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # uvicorn would print its own message and exit 3; say it in one line instead.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")
