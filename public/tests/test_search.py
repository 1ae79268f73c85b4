from unittest import skipUnless

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from briefings import search_index
from briefings.models import Briefing
from briefings.tests.factories import Newsroom, make_source, passage
from public import queries as public
from public import search
from public.templatetags.public_site import snippet
from sources.models import Passage

from .base import PublicSiteTestCase

ARTICLE = [
    "Caspian pipeline talks resumed in Baku on Tuesday.",
    "Officials said the corridor would double gas exports to Europe.",
    "Iran was not invited to the meeting about the corridor.",
    "Subscribe to our newsletter for more pipeline news.",
]


class SearchTestsMixin:
    """The same expectations, whichever backend answers."""

    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(*ARTICLE, title="Corridor talks")
        Passage.objects.filter(source=cls.source, ordinal=4).update(kind=Passage.Kind.BOILERPLATE, citable=False)
        cite = [(passage(cls.source, 1), "Caspian pipeline talks resumed")]
        cls.title_match = cls.newsroom.published(
            cite, title="Corridor diplomacy", dek="Talks resume.", body="Officials met again.[^n1]"
        )
        cls.dek_match = cls.newsroom.published(
            cite, title="Week in review", dek="The corridor is back on the agenda.", body="Several meetings.[^n1]"
        )
        cls.body_match = cls.newsroom.published(
            cite, title="Energy notes", dek="Short items.", body="A new **corridor** for gas exports is planned.[^n1]"
        )
        cls.other = cls.newsroom.published(
            cite, title="Armenian elections", dek="A vote.", body="Turnout was high and gas prices were debated.[^n1]"
        )
        cls.draft = cls.newsroom.draft(cite, title="Secret corridor memo", body="Unpublished corridor plans.[^n1]")

    def titles(self, text):
        return [b.published_revision.title for b in search.rank_briefings(public.briefings(), text)]

    def test_title_outranks_dek_which_outranks_body(self):
        """The briefing named after the words comes first."""
        self.assertEqual(self.titles("corridor"), ["Corridor diplomacy", "Week in review", "Energy notes"])

    def test_drafts_are_never_found(self):
        self.assertNotIn("Secret corridor memo", self.titles("memo"))
        self.assertEqual(self.titles("unpublished plans"), [])

    def test_all_words_must_match(self):
        self.assertEqual(self.titles("corridor exports"), ["Energy notes"])

    def test_or_finds_either(self):
        self.assertEqual(set(self.titles("turnout or diplomacy")), {"Armenian elections", "Corridor diplomacy"})

    def test_minus_excludes(self):
        self.assertEqual(set(self.titles("gas -corridor")), {"Armenian elections"})

    def test_quoted_phrase(self):
        self.assertEqual(self.titles('"gas prices"'), ["Armenian elections"])
        self.assertEqual(self.titles('"prices gas"'), [])

    def test_stemming_finds_other_forms_of_a_word(self):
        self.assertIn("Armenian elections", self.titles("price"))

    def test_punctuation_and_operators_are_never_errors(self):
        """Whatever a reader types, the search answers."""
        for text in ['"', "-", "or", "OR OR", "(", "*", "NEAR(a b)", "AND", "a:b", "'", "c++", "\\", "—", "-corridor"]:
            with self.subTest(text=text):
                list(search.rank_briefings(public.briefings(), text))
                list(search.rank_passages(text))

    def test_snippets_mark_the_matched_words(self):
        results = search.finish_snippets(list(search.rank_briefings(public.briefings(), "exports")), "exports")
        html = snippet(results[0].search_snippet)
        self.assertIn("<mark>exports</mark>", html)
        self.assertNotIn("[^n1]", html)
        self.assertNotIn("**", html)

    def test_passages_of_the_articles_are_found_but_not_site_chrome(self):
        """Source passages form the second group of results; newsletters and menus are left out."""
        found = list(search.rank_passages("pipeline"))
        self.assertEqual([p.ordinal for p in found], [1])
        html = snippet(search.finish_snippets(found, "pipeline")[0].search_snippet)
        self.assertIn("<mark>pipeline</mark>", html)

    def test_retired_passages_are_not_found(self):
        Passage.objects.filter(source=self.source, ordinal=3).update(retired=True)
        self.assertEqual(list(search.rank_passages("invited")), [])

    def test_words_of_a_revision_under_review_are_not_found(self):
        """Until it is published, an edit of a public briefing cannot be found by its new words."""
        from briefings import workflow

        briefing = Briefing.objects.get(pk=self.other.pk)
        briefing.body = "Turnout was high and a zeppelin was mentioned.[^n1]"
        briefing.save()
        workflow.record_edit(briefing, self.newsroom.analyst)
        self.assertEqual(self.titles("zeppelin"), [])
        self.assertEqual(self.titles('"gas prices"'), ["Armenian elections"])

    def test_the_list_filter_keeps_date_order(self):
        filtered = search.filter_briefings(public.briefings(), "corridor")
        self.assertEqual([b.pk for b in filtered], [self.body_match.pk, self.dek_match.pk, self.title_match.pk])

    def test_search_page_shape(self):
        """The page shows both groups with counts."""
        response = self.client.get("/search/?q=corridor")
        self.assertContains(response, "Briefings <span class=\"result-count\">(3)</span>", html=True)
        self.assertContains(response, "Passages of the sources <span class=\"result-count\">(2)</span>", html=True)
        self.assertContains(response, "<mark>")
        self.assertNotContains(response, "more than")

    def test_a_passage_of_a_title_less_source_is_headed_by_its_opening_words(self):
        """Found passages name their article without the page reading any article's full text."""
        untitled = make_source("Quillwort harvests in the Lankaran lowlands doubled this year.", title="")
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get("/search/?q=quillwort")
        self.assertContains(response, untitled.display_title)
        self.assertFalse(
            [query["sql"] for query in captured if '"sources_source"."text"' in query["sql"]],
            "no query reads the sources' full text",
        )

    def test_the_index_follows_a_published_edit(self):
        """Once an edit is published, its new words are found and the words it removed are not."""
        from briefings import workflow

        briefing = Briefing.objects.get(pk=self.other.pk)
        briefing.body = "Turnout was high and a zeppelin was mentioned.[^n1]"
        briefing.save()
        workflow.record_edit(briefing, self.newsroom.analyst)
        workflow.submit(briefing, self.newsroom.analyst)
        workflow.approve(briefing, self.newsroom.editor)
        workflow.publish(briefing, self.newsroom.editor, minor=True)
        self.assertEqual(self.titles("zeppelin"), ["Armenian elections"])
        self.assertEqual(self.titles('"gas prices"'), [])

    def test_the_index_follows_an_edit_of_a_passage(self):
        Passage.objects.filter(source=self.source, ordinal=2).update(text="Officials said the airship would fly.")
        self.assertEqual([p.ordinal for p in search.rank_passages("airship")], [2])
        self.assertEqual(list(search.rank_passages("exports")), [])

    @override_settings(SEARCH_RANKED_LIMIT=2)
    def test_beyond_the_limit_the_most_recent_matches_are_ranked(self):
        """Three briefings match: the two newest are ranked and counted, and the count says there are more."""
        results = search.rank_briefings(public.briefings(), "corridor")
        self.assertEqual((results.count(), results.more), (2, True))
        self.assertEqual([b.published_revision.title for b in results], ["Week in review", "Energy notes"])

    @override_settings(SEARCH_RANKED_LIMIT=2)
    def test_paging_reaches_the_last_ranked_result(self):
        paginator = Paginator(search.rank_briefings(public.briefings(), "corridor"), 1)
        self.assertEqual(paginator.num_pages, 2)
        self.assertEqual([b.published_revision.title for b in paginator.page(2).object_list], ["Energy notes"])
        with self.assertRaises(EmptyPage):
            paginator.page(3)

    @override_settings(SEARCH_RANKED_LIMIT=2)
    def test_the_page_says_when_more_match_than_are_counted(self):
        response = self.client.get("/search/?q=corridor")
        self.assertContains(response, "Briefings <span class=\"result-count\">(more than 2)</span>", html=True)
        self.assertContains(response, "most recently published or updated briefings that match")
        self.assertContains(response, "Passages of the sources <span class=\"result-count\">(2)</span>", html=True)

    def test_at_the_limit_the_count_is_exact(self):
        with override_settings(SEARCH_RANKED_LIMIT=3):
            results = search.rank_briefings(public.briefings(), "corridor")
            self.assertEqual((results.count(), results.more), (3, False))
            self.assertEqual(len(list(results)), 3)

    @override_settings(SEARCH_RANKED_LIMIT=2)
    def test_the_search_pages_count_and_rank_the_newest_matches_alike(self):
        """Read as the search page reads them, the ranked set, its count and "more" are those of ``Results``."""
        paginator = search.ResultsPaginator(search.rank_briefings(public.briefings(), "corridor"), 1)
        first = paginator.page(1)
        self.assertEqual((paginator.count, paginator.object_list.more), (2, True))
        self.assertEqual([b.published_revision.title for b in first.object_list], ["Week in review"])
        paginator = search.ResultsPaginator(search.rank_briefings(public.briefings(), "corridor"), 1)
        self.assertEqual([b.published_revision.title for b in paginator.page(2).object_list], ["Energy notes"])
        self.assertTrue(first.has_next())
        with self.assertRaises(EmptyPage):
            search.ResultsPaginator(search.rank_briefings(public.briefings(), "corridor"), 1).page(3)

    def test_the_search_pages_count_is_exact_at_the_limit(self):
        """When exactly as many match as are ranked, the page says how many, not "more than"."""
        for limit, expected in ((3, (3, False)), (4, (3, False))):
            with self.subTest(limit=limit), override_settings(SEARCH_RANKED_LIMIT=limit):
                paginator = search.ResultsPaginator(search.rank_briefings(public.briefings(), "corridor"), 2)
                page = paginator.page(2)
                self.assertEqual((paginator.count, paginator.object_list.more), expected)
                self.assertEqual([b.published_revision.title for b in page.object_list], ["Energy notes"])

    def test_the_search_pages_find_nothing_without_error(self):
        paginator = search.ResultsPaginator(search.rank_passages("zeppelin"), 20)
        self.assertEqual((list(paginator.page(1).object_list), paginator.count), ([], 0))
        for number, refusal in ((2, EmptyPage), ("last-but-one", PageNotAnInteger), (None, PageNotAnInteger)):
            with self.subTest(number=number), self.assertRaises(refusal):
                search.ResultsPaginator(search.rank_passages("zeppelin"), 20).page(number)

    def test_a_page_past_the_last_is_counted_and_refused(self):
        for number in (3, 9, 10**30):
            with self.subTest(page=number):
                paginator = search.ResultsPaginator(search.rank_passages("corridor"), 1)
                with self.assertRaises(EmptyPage):
                    paginator.page(number)
                self.assertEqual(paginator.count, 2)

    def test_a_later_page_shows_snippets_too(self):
        """Snippets are cut for the rows of the page being read, whichever page it is."""
        paginator = Paginator(search.rank_passages("corridor"), 1)
        for number in (1, 2):
            with self.subTest(page=number):
                (shown,) = search.finish_snippets(list(paginator.page(number).object_list), "corridor")
                self.assertIn("<mark>corridor</mark>", snippet(shown.search_snippet))


class DatabaseSearchTests(SearchTestsMixin, PublicSiteTestCase):
    """PostgreSQL full-text search, or SQLite FTS5, depending on the database the tests run on."""

    def test_backend_matches_the_database(self):
        expected = {"postgresql": "postgresql", "sqlite": "fts5"}[connection.vendor]
        self.assertEqual(search.backend(), expected)

    @skipUnless(connection.vendor == "postgresql", "PostgreSQL ranks the newest matches by key within the statement")
    def test_a_search_page_is_read_with_its_count_in_one_statement(self):
        """Below the limit, one statement; at it, a second one asks whether an older match is left."""
        for limit, statements, count in ((1000, 1, 3), (3, 2, 3), (2, 2, 2)):
            with self.subTest(limit=limit), override_settings(SEARCH_RANKED_LIMIT=limit):
                briefings = public.briefings(prefetch=False)
                paginator = search.ResultsPaginator(search.rank_briefings(briefings, "corridor"), 20)
                with CaptureQueriesContext(connection) as statements_run:
                    rows = list(paginator.page(1).object_list)
                    shown_count, more = paginator.count, paginator.object_list.more
                self.assertEqual(len(statements_run), statements, [q["sql"] for q in statements_run])
                self.assertEqual((len(rows), shown_count, more), (count, count, limit == 2))


@override_settings(SEARCH_BACKEND="plain")
class PlainSearchTests(SearchTestsMixin, PublicSiteTestCase):
    """Without full-text support the same page works by plain containment."""

    def test_stemming_finds_other_forms_of_a_word(self):
        """Plain containment has no stemmer: "price" is inside "prices", so it still matches here."""
        self.assertIn("Armenian elections", self.titles("price"))


@skipUnless(connection.vendor == "postgresql", "GIN indexes are PostgreSQL's")
class PostgresIndexTests(PublicSiteTestCase):
    def explain(self, queryset):
        with connection.cursor() as cursor:
            # Rule out reading every row, directly or along another index, whatever the table's statistics.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            sql, params = queryset.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())

    def test_briefing_search_uses_the_gin_index(self):
        """Search stays fast as the archive grows: the planner can use the index on revisions' stored vectors."""
        plan = self.explain(search.filter_briefings(Briefing.objects.all(), "corridor"))
        self.assertIn("briefings_revision_search_vector", plan, plan)

    def test_passage_search_uses_the_gin_index(self):
        # The passage search's own condition: the planner may prefer another index for the rest.
        plan = self.explain(search.filter_passages(Passage.objects.all(), "corridor"))
        self.assertIn("briefings_passage_search_vector", plan, plan)

    def test_the_expression_indexes_are_gone(self):
        """The stored columns replace them: no index is written twice on every save."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname IN ('briefings_revision_search', "
                "'briefings_passage_search')"
            )
            self.assertEqual(cursor.fetchall(), [])

    def test_ranking_and_headlines_read_the_stored_vector(self):
        """The page's query never recomputes a text's vector for every match."""
        sql = str(search.rank_briefings(public.briefings(), "corridor").ranked.query)
        sql += str(search.rank_passages("corridor").ranked.query)
        self.assertNotIn("to_tsvector", sql)
        self.assertIn("search_vector", sql)


class SearchLanguageTests(PublicSiteTestCase):
    def test_language_codes_map_to_configurations(self):
        """Russian sources are stemmed as Russian, languages PostgreSQL has no stemmer for word by word."""
        self.assertEqual(search_index.language_config("ru"), "russian")
        self.assertEqual(search_index.language_config("ru-RU"), "russian")
        self.assertEqual(search_index.language_config("az"), "simple")
        self.assertEqual(search_index.language_config("", default="english"), "english")

    @skipUnless(connection.vendor == "postgresql", "text search configurations are PostgreSQL's")
    def test_passages_are_indexed_and_searched_in_their_source_language(self):
        """A Russian word finds its other forms in a Russian source; Azerbaijani words are found as written."""
        russian = make_source("Россия и Азербайджан подписали декларацию о союзничестве.", language="ru")
        azerbaijani = make_source("Şimal–Cənub dəhlizi ölkə üçün önəmlidir.", language="az")
        english = make_source("Gas prices rose in Baku.", language="en")
        found = set(search.filter_passages(Passage.objects.all(), "декларации"))
        self.assertIn(passage(russian, 1), found)  # "декларацию" and "декларации" share a Russian stem
        self.assertIn(passage(azerbaijani, 1), set(search.filter_passages(Passage.objects.all(), "dəhlizi")))
        self.assertIn(passage(english, 1), set(search.filter_passages(Passage.objects.all(), "price")))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT search_vector = to_tsvector('simple', text) FROM sources_passage WHERE id = %s",
                [passage(azerbaijani, 1).pk],
            )
            self.assertTrue(cursor.fetchone()[0])
        ranked = search.rank_passages("декларации").ranked
        self.assertIn("декларацию", " ".join(row.search_snippet for row in ranked))

    @skipUnless(connection.vendor == "postgresql", "text search configurations are PostgreSQL's")
    def test_a_source_language_change_reindexes_its_passages(self):
        """Correcting a source's language re-indexes its passages in the new language."""
        source = make_source("Россия подписала декларацию.", language="")
        source.language = "ru"
        source.save(update_fields=["language"])
        found = set(search.filter_passages(Passage.objects.all(), "декларации"))
        self.assertIn(passage(source, 1), found)


@skipUnless(connection.vendor == "sqlite" and search_index.fts5_available(), "FTS5 is SQLite's")
class SqliteIndexTests(PublicSiteTestCase):
    def test_index_repairs_itself_after_its_triggers_are_lost(self):
        """A migration that rebuilds a table drops its triggers; the next migrate puts them back and reindexes."""
        with connection.cursor() as cursor:
            for suffix in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER {search_index.REVISION_FTS}_{suffix}")
        newsroom = Newsroom()
        source = make_source(*ARTICLE)
        newsroom.published([(passage(source, 1), "Caspian pipeline talks resumed")], title="Zeppelin corridor")
        self.assertEqual(list(search.filter_briefings(public.briefings(), "zeppelin")), [])
        self.assertEqual(search_index.install_sqlite_index(connection), [search_index.REVISION_FTS])
        self.assertEqual(len(search.filter_briefings(public.briefings(), "zeppelin")), 1)
        self.assertEqual(search_index.install_sqlite_index(connection), [])


class ParseTests(PublicSiteTestCase):
    def test_web_search_syntax(self):
        groups = search.parse('gas "black sea" -iran or pipeline')
        parsed = [(group.required, group.excluded) for group in groups]
        self.assertEqual(parsed, [(["gas", "black sea"], ["iran"]), (["pipeline"], [])])
        self.assertEqual(
            search.fts5_expression(groups), '("gas" AND "black sea" NOT "iran") OR ("pipeline")'
        )

    def test_quotes_inside_terms_are_escaped(self):
        self.assertEqual(search.fts5_expression(search.parse('say"what')), '("say""what")')

    def test_only_exclusions_or_punctuation_find_nothing(self):
        self.assertEqual(search.parse("-gas"), [])
        self.assertEqual(search.parse("!!! ..."), [])
