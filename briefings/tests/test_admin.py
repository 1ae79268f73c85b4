from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from briefings import workflow
from briefings.models import Briefing, BriefingEvent, Citation, Tag
from sources.models import Passage, Source

from .factories import (
    Newsroom,
    cite,
    counting_renders,
    make_briefing,
    make_source,
    passage,
    without_citation_ids,
)
from .html_forms import form_data

PARAGRAPHS = [
    "Officials in Baku signed a transit agreement on Monday after months of talks.",
    "The agreement covers rail freight between Russia and Iran through Azerbaijan.",
    "Share this story",
]
ADD_URL = reverse("admin:briefings_briefing_add")


def change_url(briefing):
    return reverse("admin:briefings_briefing_change", args=[briefing.pk])


def inline_data(rows, initial=0):
    data = {
        "citations-TOTAL_FORMS": str(len(rows)),
        "citations-INITIAL_FORMS": str(initial),
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"citations-{index}-{name}"] = value
    return data


class AdminTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = get_user_model().objects.create_superuser("chief", "chief@example.org", "unused-in-tests")
        cls.source = make_source(
            *PARAGRAPHS, slug="transit-deal", title="Baku signs a transit deal", kinds={3: Passage.Kind.BOILERPLATE}
        )
        cls.signed = passage(cls.source, 1)
        cls.freight = passage(cls.source, 2)

    def setUp(self):
        self.client.force_login(self.admin)

    def add_briefing(self, body, rows, **fields):
        data = {
            "title": "Transit deal signed",
            "slug": "",
            "dek": "Baku and Moscow agree on rail freight.",
            "body": body,
            "authors": [str(self.admin.pk)],
            "tags": "Transport, energy",
            **fields,
            **inline_data(rows),
        }
        return self.client.post(ADD_URL, data)


class CreateWithInlinesTests(AdminTestCase):
    def test_create_briefing_with_citations(self):
        """An editor creates a briefing and its citations in one save, and its footnotes are rendered."""
        response = self.add_briefing(
            "Baku signed.[^signed] Freight will move.[^freight]",
            [
                {"label": "signed", "order": "1", "passage": str(self.signed.pk),
                 "quote": "signed a transit  agreement on Monday", "note": ""},
                {"label": "freight", "order": "2", "passage": str(self.freight.pk),
                 "quote": "rail freight between Russia and Iran", "note": "Route via Astara."},
            ],
        )
        self.assertEqual(response.status_code, 302, response.content.decode()[:3000])
        briefing = Briefing.objects.get()
        self.assertEqual(briefing.slug, "transit-deal-signed")
        self.assertEqual(
            list(briefing.citations.values_list("label", "quote")),
            [("signed", "signed a transit agreement on Monday"), ("freight", "rail freight between Russia and Iran")],
        )
        self.assertIn('id="fn-2"', briefing.body_html)
        self.assertEqual(sorted(briefing.tags.names(), key=str.casefold), ["energy", "Transport"])
        self.assertEqual(list(briefing.authors.all()), [self.admin])

    def test_unknown_marker_is_shown_and_nothing_saved(self):
        """A marker without a citation shows an error naming it, and nothing is saved."""
        response = self.add_briefing(
            "Baku signed.[^signed] More.[^missing]",
            [{"label": "signed", "order": "1", "passage": str(self.signed.pk),
              "quote": "signed a transit agreement", "note": ""}],
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "The footnote [^missing] has no citation")
        self.assertFalse(Briefing.objects.exists())

    def test_unused_citation_is_saved_and_listed_as_not_yet_placed(self):
        """A citation no marker uses yet is kept, and the editor lists it as not yet placed with its marker."""
        response = self.add_briefing(
            "Baku signed.",
            [{"label": "signed", "order": "1", "passage": str(self.signed.pk),
              "quote": "signed a transit agreement", "note": ""}],
        )
        self.assertEqual(response.status_code, 302)
        briefing = Briefing.objects.get()
        page = self.client.get(change_url(briefing))
        self.assertContains(page, "Not yet placed: 1 citation")
        self.assertContains(page, '<code class="unplaced-marker">[^signed]</code>', html=True)
        self.assertContains(page, "The citation “signed” is not used in the body")  # the preview's warning

    def test_deleted_inline_does_not_count(self):
        """A citation marked for deletion in the same save no longer satisfies its marker."""
        briefing = make_briefing(body="Signed.[^signed]", title="Existing")
        citation = cite(briefing, self.signed, "signed a transit agreement", label="signed")
        data = form_data(self.client.get(change_url(briefing)).content.decode(), "briefing_form")
        data["citations-0-DELETE"] = ["on"]
        response = self.client.post(change_url(briefing), data)
        self.assertContains(response, "The footnote [^signed] has no citation")
        self.assertTrue(Citation.objects.filter(pk=citation.pk).exists())

    def test_wrong_quote_is_shown_on_its_inline(self):
        """A quote that is not in the passage is refused on its row with the closest words."""
        response = self.add_briefing(
            "Baku signed.[^signed]",
            [{"label": "signed", "order": "1", "passage": str(self.signed.pk),
              "quote": "signed a transit treaty on Monday", "note": ""}],
        )
        self.assertContains(response, "The closest words in it are")
        self.assertFalse(Briefing.objects.exists())

    def test_quote_without_passage_fills_in_the_passage(self):
        """A quote pasted with no passage chosen is saved against the one passage holding it, marks removed."""
        response = self.add_briefing(
            "Freight will move.[^freight]",
            [{"label": "freight", "order": "1", "passage": "", "quote": "“rail freight between Russia and Iran”"}],
        )
        self.assertEqual(response.status_code, 302, response.content.decode()[:3000])
        citation = Citation.objects.get()
        self.assertEqual((citation.passage, citation.quote), (self.freight, "rail freight between Russia and Iran"))

    def test_quote_in_several_passages_lists_them_with_the_words_marked(self):
        """A quote found in several passages is refused with each passage and its matching words, escaped."""
        make_source("Officials in Baku signed a transit agreement <quickly>.", title="Second <b>story</b>")
        response = self.add_briefing(
            "Signed.[^signed]", [{"label": "signed", "order": "1", "passage": "", "quote": "Officials in Baku signed"}],
        )
        self.assertContains(response, "These words are in 2 passages; choose the one you mean")
        self.assertContains(response, "<mark>Officials in Baku signed</mark> a transit agreement &lt;quickly&gt;.")
        self.assertContains(response, "Second &lt;b&gt;story&lt;/b&gt;, paragraph 1")
        self.assertFalse(Briefing.objects.exists())

    def test_quote_found_nowhere_says_so(self):
        """A quote in no passage of any source is refused with its own message, and nothing is saved."""
        response = self.add_briefing(
            "Signed.[^signed]",
            [{"label": "signed", "order": "1", "passage": "", "quote": "words printed nowhere at all"}],
        )
        self.assertContains(response, "No current passage of any source holds these words")
        self.assertFalse(Briefing.objects.exists())

    def test_quote_across_two_paragraphs_offers_the_parts(self):
        """A quote pasted across two paragraphs is refused with the two parts to cite separately."""
        response = self.add_briefing(
            "Signed.[^signed]",
            [{"label": "signed", "order": "1", "passage": "",
              "quote": "after months of talks.\nThe agreement covers rail freight"}],
        )
        self.assertContains(response, "These words run on from one paragraph into the next")
        self.assertContains(response, "paragraph 1: Officials in Baku signed a transit agreement on Monday "
                                      "<mark>after months of talks.</mark>")
        self.assertContains(response, "paragraph 2: <mark>The agreement covers rail freight</mark>")
        response = self.add_briefing(
            "Signed.[^signed]",
            [{"label": "signed", "order": "1", "passage": str(self.signed.pk),
              "quote": "after months of talks.\nThe agreement covers rail freight"}],
        )
        self.assertContains(response, "These words run on past the end of paragraph 1 into the next paragraph")

    def test_translation_is_saved_with_its_translator(self):
        """A translation entered with its translator is kept; without a translator it is refused."""
        row = {"label": "signed", "order": "1", "passage": str(self.signed.pk), "quote": "signed a transit agreement",
               "translation": "a signé un accord de transit"}
        response = self.add_briefing("Signed.[^signed]", [row])
        self.assertContains(response, "Say who translated the quote")
        response = self.add_briefing("Signed.[^signed]", [{**row, "translation_by": "Jane Doe"}])
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Citation.objects.get().translation_by, "Jane Doe")
        self.assertIn("Translation by Jane Doe", Briefing.objects.get().body_html)

    def test_boilerplate_passage_is_refused(self):
        """Choosing page furniture as the passage is refused."""
        response = self.add_briefing(
            "Share.[^share]",
            [{"label": "share", "order": "1", "passage": str(passage(self.source, 3).pk),
              "quote": "Share this story", "note": ""}],
        )
        self.assertContains(response, "cannot be cited")

    def test_editing_a_citation_updates_the_stored_html(self):
        """Changing a citation in the admin re-renders the body with the new quote."""
        briefing = make_briefing(body="Signed.[^signed]", title="Existing")
        cite(briefing, self.signed, "signed a transit agreement", label="signed")
        data = form_data(self.client.get(change_url(briefing)).content.decode(), "briefing_form")
        data["citations-0-quote"] = ["a transit agreement on Monday"]
        response = self.client.post(change_url(briefing), data)
        self.assertEqual(response.status_code, 302)
        self.assertIn("a transit agreement on Monday</q>", Briefing.objects.get(pk=briefing.pk).body_html)


class RenderingOnSaveTests(AdminTestCase):
    """Saving a briefing with many citations renders its Markdown once, however many rows the form saves."""

    def test_creating_with_many_citations_renders_once(self):
        """Creating a briefing with thirty citations stores its footnotes from a single rendering."""
        labels = [f"c{number}" for number in range(30)]
        rows = [
            {"label": label, "order": str(number), "passage": str(self.signed.pk),
             "quote": "signed a transit agreement", "note": ""}
            for number, label in enumerate(labels)
        ]
        with counting_renders() as renders:
            response = self.add_briefing(" ".join(f"Claim.[^{label}]" for label in labels), rows)
        self.assertEqual(response.status_code, 302)
        briefing = Briefing.objects.get()
        self.assertEqual(renders, {briefing.pk: 1})
        self.assertIn('id="fn-30"', briefing.body_html)
        # The same footnotes; the revision's highlight its own citation rows.
        revision = briefing.revisions.get()
        self.assertEqual(without_citation_ids(revision.body_html), without_citation_ids(briefing.body_html))

    def test_changing_many_citations_renders_once(self):
        """Editing every citation of a briefing in one save renders it once, with the new quotes."""
        labels = [f"c{number}" for number in range(30)]
        briefing = make_briefing(body=" ".join(f"Claim.[^{label}]" for label in labels), title="Existing")
        for label in labels:
            cite(briefing, self.signed, "signed a transit agreement", label=label)
        data = form_data(self.client.get(change_url(briefing)).content.decode(), "briefing_form")
        for index in range(30):
            data[f"citations-{index}-quote"] = ["a transit agreement on Monday"]
        with counting_renders() as renders:
            response = self.client.post(change_url(briefing), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(renders, {briefing.pk: 1})
        self.assertEqual(Briefing.objects.get(pk=briefing.pk).body_html.count("a transit agreement on Monday</q>"), 30)

    def test_saving_without_changes_renders_once(self):
        """Saving the form unchanged still leaves one rendering, and no new revision."""
        briefing = make_briefing(body="Signed.[^signed]", title="Existing")
        cite(briefing, self.signed, "signed a transit agreement", label="signed")
        self.client.post(change_url(briefing), form_data(self.client.get(change_url(briefing)).content.decode(),
                                                         "briefing_form"))
        data = form_data(self.client.get(change_url(briefing)).content.decode(), "briefing_form")
        with counting_renders() as renders:
            response = self.client.post(change_url(briefing), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(renders, {briefing.pk: 1})
        self.assertEqual(briefing.revisions.count(), 1)


class ChangeFormTests(AdminTestCase):
    def test_preview_shows_rendered_footnotes(self):
        """The change form shows the body as readers will see it, footnotes included."""
        briefing = make_briefing(body="Signed.[^signed] <script>alert(1)</script>", title="Existing")
        cite(briefing, self.signed, "signed a transit agreement", label="signed")
        response = self.client.get(change_url(briefing))
        self.assertContains(response, '<div class="briefing-preview">')
        self.assertContains(response, '<li id="fn-1" class="footnote">')
        self.assertNotContains(response, "<script>alert(1)</script>")

    def change_form_queries(self, citations):
        briefing = make_briefing(body=" ".join(f"Claim.[^c{n}]" for n in range(citations)), title=f"Cites {citations}")
        briefing.tags.add("Energy")
        briefing.authors.add(self.admin)
        for n in range(citations):
            cite(briefing, self.freight if n % 2 else self.signed, "a transit agreement on Monday"
                 if n % 2 == 0 else "rail freight between Russia and Iran", label=f"c{n}")
        self.client.get(change_url(briefing))  # warm the session and content types
        return change_url(briefing)

    def test_change_form_query_count_does_not_grow_with_citations(self):
        """The change form costs the same number of queries with 1 or 50 citations."""
        # Session and user (2); the briefing, read by the review panel and by the form (2); the review
        # panel's citation check (1); the authors chosen and the users to choose from (2); the tags (1);
        # the event log (1); the citations with passages and sources in one query (1), each row's chosen
        # passage labelled from it; the labels for the preview's marker check (1); the citations a changed
        # source left needing attention, for the banner (1); the citations with the body, for the list of those
        # not yet placed (1); the latest revision the panel names (1); the review comments and the citations
        # they may point at, for the comments panel (2). None per citation.
        for citations in (1, 50):
            url = self.change_form_queries(citations)
            with self.subTest(citations=citations), self.assertNumQueries(16):
                self.assertEqual(self.client.get(url).status_code, 200)


class ChangelistTests(AdminTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.writer = get_user_model().objects.create_user("writer", password="unused-in-tests", is_staff=True)
        cls.gas = make_briefing(body="Gas.[^a]", title="Gas briefing")
        cls.gas.tags.add("Energy")
        cls.gas.authors.add(cls.writer)
        cite(cls.gas, cls.signed, "signed a transit agreement")
        other = make_source("Oil prices rose sharply in the spring of that year.", slug="oil-story")
        cls.oil = make_briefing(body="Oil.[^a]", title="Oil briefing")
        cls.oil.tags.add("Markets")
        cite(cls.oil, passage(other, 1), "Oil prices rose sharply")

    def titles(self, query=""):
        response = self.client.get(reverse("admin:briefings_briefing_changelist") + query)
        self.assertEqual(response.status_code, 200)
        return sorted(row.title for row in response.context["cl"].result_list)

    def test_filters(self):
        """The list filters by tag, author, cited source and status."""
        self.assertEqual(self.titles(), ["Gas briefing", "Oil briefing"])
        self.assertEqual(self.titles("?tag=energy"), ["Gas briefing"])
        self.assertEqual(self.titles(f"?authors__id__exact={self.writer.pk}"), ["Gas briefing"])
        self.assertEqual(self.titles("?source=oil-story"), ["Oil briefing"])
        self.assertEqual(self.titles("?status__exact=draft"), ["Gas briefing", "Oil briefing"])

    def test_cited_source_filter_offers_only_cited_sources_by_name(self):
        """The filter lists each quoted source once, by its title or opening words, and no source nobody quotes."""
        make_source("Nobody quotes this article about grain.", slug="uncited-story")
        response = self.client.get(reverse("admin:briefings_briefing_changelist"))
        specs = response.context["cl"].filter_specs
        choices = dict(next(spec for spec in specs if getattr(spec, "parameter_name", "") == "source").lookup_choices)
        self.assertEqual(set(choices), {self.source.slug, "oil-story"})
        self.assertEqual(choices["oil-story"], Source.objects.get(slug="oil-story").display_title)

    def test_search(self):
        """Searching finds briefings by words of their title or body."""
        self.assertEqual(self.titles("?q=oil"), ["Oil briefing"])

    def test_citation_counts_are_not_multiplied_by_filters(self):
        """Filtering by cited source does not inflate the citation count shown."""
        cite(self.oil, passage(self.source, 2), "rail freight between Russia", label="b")
        response = self.client.get(reverse("admin:briefings_briefing_changelist") + "?source=oil-story")
        self.assertEqual([row.citation_total for row in response.context["cl"].result_list], [2])

    def test_changelist_query_count_does_not_grow_with_citations(self):
        """The list costs the same number of queries whether a briefing has 1 or 50 citations."""
        for n in range(49):
            cite(self.gas, self.freight, "rail freight between Russia and Iran", label=f"more-{n}")
        url = reverse("admin:briefings_briefing_changelist")
        self.client.get(url)
        # Session and user (2); the choices of the tag, author and cited-source filters (3); the filtered
        # and total counts (2); the page with citation counts computed in SQL (1); authors and tags
        # prefetched for the page (2). Citations are counted, never loaded.
        with self.assertNumQueries(10):
            self.client.get(url)
        self.gas.citations.filter(label__startswith="more-").delete()
        with self.assertNumQueries(10):
            self.client.get(url)


class PassageAdminTests(AdminTestCase):
    def autocomplete(self, term):
        response = self.client.get(
            reverse("admin:autocomplete"),
            {"term": term, "app_label": "briefings", "model_name": "citation", "field_name": "passage"},
        )
        self.assertEqual(response.status_code, 200)
        return [result["text"] for result in response.json()["results"]]

    def test_autocomplete_searches_passage_text(self):
        """Typing words of a passage finds it."""
        self.assertEqual(len(self.autocomplete("rail freight")), 1)

    def test_autocomplete_searches_source_title(self):
        """Typing the source's title finds its passages."""
        self.assertEqual(len(self.autocomplete("transit deal")), 2)

    def test_autocomplete_offers_only_citable_current_passages(self):
        """Page furniture and passages gone from the source are not offered."""
        Passage.objects.filter(pk=self.freight.pk).update(retired=True)
        results = self.autocomplete("Baku")
        self.assertEqual(len(results), 1)
        self.assertNotIn("Share", " ".join(self.autocomplete("Share")))

    def cite_search(self, term):
        response = self.client.get(
            reverse("admin:sources_passage_cite_search"),
            {"term": term, "app_label": "briefings", "model_name": "citation", "field_name": "passage"},
        )
        self.assertEqual(response.status_code, 200)
        return [result["text"] for result in response.json()["results"]]

    def test_citation_editor_search_tolerates_typed_typography(self):
        """A straight apostrophe or a hyphen typed in the passage search finds curly apostrophes and dashes."""
        source = make_source("Moscow’s influence has waned.", "The North–South Corridor opened.", slug="waning")
        self.assertEqual(self.cite_search("Moscow's influence"), ["waning p-1: Moscow’s influence has waned."])
        self.assertEqual(self.cite_search("North-South Corridor"), ["waning p-2: The North–South Corridor opened."])
        self.assertEqual(len(self.cite_search("waning")), 2)  # the source's name still finds its passages
        Passage.objects.filter(source=source).update(retired=True)
        self.assertEqual(self.cite_search("Moscow's influence"), [])

    def test_citation_editor_search_shows_the_matching_words(self):
        """A result shows the words that matched, not the passage's opening."""
        make_source("An opening that says nothing much, at length, before it gets to the point: "
                    "the rail freight tariff was cut in half.", slug="tariffs")
        self.assertEqual(self.cite_search("freight tariff"),
                         ["tariffs p-1: …t gets to the point: the rail freight tariff was cut in half."])

    def test_citation_editor_uses_the_tolerant_search(self):
        """The citation editor's passage field asks the tolerant search and knows where to find passages."""
        response = self.client.get(ADD_URL)
        self.assertContains(response, f'data-ajax--url="{reverse("admin:sources_passage_cite_search")}"')
        self.assertContains(response, f'data-find-url="{reverse("admin:sources_passage_find")}"')

    def find(self, quote):
        response = self.client.get(reverse("admin:sources_passage_find"), {"quote": quote})
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        return response.json()

    def test_finder_returns_the_passage_quote_and_context(self):
        """Pasting a quote with straight quote marks returns its passage, exact words and context to fill in."""
        result = self.find('"rail freight between Russia and Iran"')
        self.assertEqual(len(result["results"]), 1)
        found = result["results"][0]
        self.assertEqual(found["passage"], self.freight.pk)
        self.assertEqual(found["quote"], "rail freight between Russia and Iran")
        self.assertEqual(found["prefix"], "The agreement covers ")
        self.assertEqual(found["suffix"], " through Azerbaijan.")
        self.assertIn("<mark>rail freight between Russia and Iran</mark>", found["html"])

    def test_finder_says_why_a_quote_cannot_be_looked_for(self):
        """A quote too short to look for gets the same message as saving it would."""
        result = self.find("rail freight")
        self.assertEqual(result["results"], [])
        self.assertEqual(result["code"], "too_short")
        self.assertIn("too short", result["error"])

    def test_finder_is_for_staff_who_write_citations(self):
        """People who may not write citations, or are not signed in, get nothing from the finder."""
        url = reverse("admin:sources_passage_find") + "?quote=rail+freight+between+Russia"
        reader = get_user_model().objects.create_user("reader", password="unused-in-tests", is_staff=True)
        self.client.force_login(reader)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.client.logout()
        self.assertEqual(self.client.get(url).status_code, 302)

    def test_passage_shows_what_cites_it(self):
        """A passage's admin page lists the briefings citing it."""
        briefing = make_briefing(body="Signed.[^signed]", title="Transit deal signed")
        cite(briefing, self.signed, "signed a transit agreement", label="signed")
        response = self.client.get(reverse("admin:sources_passage_change", args=[self.signed.pk]))
        self.assertContains(response, f'<a href="{change_url(briefing)}">Transit deal signed</a> [^signed]')


class SourceReplacementPreviewTests(AdminTestCase):
    def test_preview_lists_the_citations_a_replacement_would_move(self):
        """Before replacing a source's text, an editor sees which briefings cite the passages that would change."""
        briefing = make_briefing(body="Signed.[^signed]", title="Transit deal signed")
        cite(briefing, self.signed, "signed a transit agreement", label="signed")
        lines = self.source.text.strip().split("\n")
        new_text = "\n".join([lines[0].replace("signed", "agreed"), *lines[1:]]) + "\n"
        url = reverse("admin:sources_source_replace", args=[self.source.pk])
        response = self.client.post(url, {"preview": "1", "pasted": new_text, "title": self.source.title})
        self.assertContains(response, "Citations into retired or changed passages (1)")
        self.assertContains(response, f'<a href="{change_url(briefing)}">[^signed] in “Transit deal signed”</a>')
        self.assertEqual(Source.objects.get(pk=self.source.pk).text, self.source.text)


class TagAdminTests(AdminTestCase):
    def test_merge_tags(self):
        """Merging tags from the list moves their briefings to the tag kept."""
        first, second = make_briefing(), make_briefing()
        first.tags.add("Energy")
        second.tags.add("Power")
        energy, power = Tag.objects.get(name="Energy"), Tag.objects.get(name="Power")
        url = reverse("admin:briefings_tag_changelist")
        selection = {"action": "merge_tags", "_selected_action": [energy.pk, power.pk]}
        confirm = self.client.post(url, selection)
        self.assertContains(confirm, "Keep this tag")
        response = self.client.post(url, {**selection, "apply": "Merge tags", "keep": energy.pk})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(list(Tag.objects.values_list("name", flat=True)), ["Energy"])
        self.assertEqual(list(second.tags.names()), ["Energy"])

    def test_tag_differing_only_in_case_is_refused(self):
        """Adding "energy" next to "Energy" is refused with a message."""
        Tag.objects.create(name="Energy")
        response = self.client.post(reverse("admin:briefings_tag_add"), {"name": "energy", "slug": "energy-2"})
        self.assertContains(response, "tag names ignore case")


class ReanchoredActionTests(AdminTestCase):
    def test_mark_reanchored_citations_checked(self):
        """An editor clears the re-anchored flag once they have checked the moved words."""
        briefing = make_briefing(body="Signed.[^a]")
        citation = cite(briefing, self.signed, "signed a transit agreement")
        Citation.objects.filter(pk=citation.pk).update(status=Citation.Status.REANCHORED)
        self.client.post(
            reverse("admin:briefings_briefing_changelist"),
            {"action": "mark_reanchored_checked", "_selected_action": [briefing.pk]},
        )
        citation.refresh_from_db()
        self.assertEqual(citation.status, Citation.Status.OK)
        self.assertIn("confirmed by chief", citation.status_reason)



class PublishedSlugTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = get_user_model().objects.create_superuser("chief", "chief@example.org", "unused-in-tests")
        newsroom = Newsroom()
        source = make_source()
        cls.live = newsroom.published([(passage(source, 1), "signed a transit agreement")], slug="baku-deal")
        cls.draft = newsroom.draft([(passage(source, 2), "carry gas from the Caspian")], slug="gas-draft")

    def setUp(self):
        self.client.force_login(self.admin)

    def test_published_slug_is_read_only_with_the_reason(self):
        """Once readers have a briefing's address, its change page shows the slug fixed, and says why."""
        response = self.client.get(change_url(self.live))
        self.assertNotContains(response, 'name="slug"')
        self.assertContains(response, "baku-deal")
        self.assertContains(response, "Fixed since the briefing was first published")

    def test_posting_another_slug_leaves_the_address(self):
        """A changed slug posted for a published briefing is ignored: the public URL keeps working."""
        data = form_data(self.client.get(change_url(self.live)).content.decode(), "briefing_form")
        data.update(slug="renamed", title="A new title")
        response = self.client.post(change_url(self.live), data)
        self.assertEqual(response.status_code, 302)
        self.live.refresh_from_db()
        self.assertEqual((self.live.slug, self.live.title), ("baku-deal", "A new title"))

    def test_draft_slug_stays_editable(self):
        """Before publication the slug can still be chosen."""
        response = self.client.get(change_url(self.draft))
        self.assertContains(response, 'name="slug"')
        self.assertNotContains(response, "Fixed since the briefing was first published")


class PublicColumnTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = get_user_model().objects.create_superuser("chief", "chief@example.org", "unused-in-tests")
        newsroom = Newsroom()
        source = make_source()
        quote = [(passage(source, 1), "signed a transit agreement")]
        cls.draft = newsroom.draft(quote, title="Draft only")
        cls.live = newsroom.published(quote, title="Live")
        cls.edited = newsroom.published(quote, title="Live with an edit")
        cls.edited.title = "Live with an edit, reworded"
        cls.edited.save()
        workflow.record_edit(cls.edited, newsroom.analyst)
        cls.scheduled = newsroom.scheduled(quote, title="Scheduled")
        cls.retracted = newsroom.retracted(quote, title="Retracted")

    def setUp(self):
        self.client.force_login(self.admin)

    def rows(self, query=""):
        response = self.client.get(reverse("admin:briefings_briefing_changelist") + query)
        self.assertEqual(response.status_code, 200)
        admin = response.context["cl"].model_admin
        return {
            row.title: (row.get_status_display(), admin.public_state(row)) for row in response.context["cl"].result_list
        }

    def test_public_column_shows_what_readers_see(self):
        """A live briefing with an edit in review reads "Draft" as its status but "live since" as public."""
        rows = self.rows()
        day = date_format(timezone.localtime(self.live.published_at), "DATE_FORMAT")
        when = date_format(timezone.localtime(self.scheduled.published_at), "DATETIME_FORMAT")
        self.assertEqual(rows["Live with an edit, reworded"], ("Draft", f"live since {day}"))
        self.assertEqual(rows["Live"], ("Published", f"live since {day}"))
        self.assertEqual(rows["Scheduled"], ("Published", f"scheduled for {when}"))
        self.assertEqual(rows["Retracted"], ("Retracted", "retracted"))
        self.assertEqual(rows["Draft only"], ("Draft", "—"))
        self.assertContains(self.client.get(reverse("admin:briefings_briefing_changelist")), "live since")

    def test_live_on_the_site_filter(self):
        """The filter lists the briefings readers can see now, those scheduled, retracted, or never public."""
        self.assertEqual(sorted(self.rows("?public=live")), ["Live", "Live with an edit, reworded"])
        self.assertEqual(sorted(self.rows("?public=scheduled")), ["Scheduled"])
        self.assertEqual(sorted(self.rows("?public=retracted")), ["Retracted"])
        self.assertEqual(sorted(self.rows("?public=no")), ["Draft only"])

    def test_public_column_costs_no_query_per_row(self):
        """The list costs the same number of queries with five briefings in every public state as with one."""
        url = reverse("admin:briefings_briefing_changelist")
        self.client.get(url)
        # Session and user (2); the choices of the tag, author and cited-source filters (3); the filtered
        # and total counts (2); the page (1); authors and tags prefetched for the page (2). The public
        # column reads the row's own publication fields.
        with self.assertNumQueries(10):
            self.client.get(url)
        with self.assertNumQueries(10):
            self.client.get(url + "?public=live")


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


class ReanchoredActionObjectTests(TestCase):
    """Roles × briefings for "Confirm re-anchored citations": the workflow decides citation by citation."""

    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.other_editor = Newsroom().editor
        cls.source = make_source()

    def reanchored_briefing(self, state="draft"):
        briefing = getattr(self.newsroom, state)([(passage(self.source, 1), "signed a transit agreement")])
        Citation.objects.filter(briefing=briefing).update(status=Citation.Status.REANCHORED)
        return Briefing.objects.get(pk=briefing.pk)

    def run_action(self, user, *briefings):
        self.client.force_login(user)
        return self.client.post(
            reverse("admin:briefings_briefing_changelist"),
            {"action": "mark_reanchored_checked", "_selected_action": [briefing.pk for briefing in briefings]},
            follow=True,
        )

    def assert_untouched(self, briefing):
        fresh = Briefing.objects.get(pk=briefing.pk)
        self.assertFalse(fresh.events.filter(action=BriefingEvent.Action.REANCHORING_CONFIRMED).exists())
        self.assertEqual(set(fresh.citations.values_list("status", flat=True)), {Citation.Status.REANCHORED})

    def test_analyst_cannot_confirm_another_analysts_citations(self):
        """An analyst confirming someone else's re-anchored citations is refused for that briefing, with the reason."""
        briefing = self.reanchored_briefing()
        response = self.run_action(Newsroom().analyst, briefing)
        self.assert_untouched(briefing)
        self.assertTrue(
            any("not allowed to confirm re-anchored citations" in message for message in messages_of(response)),
            messages_of(response),
        )

    def test_author_cannot_confirm_own_citations(self):
        """The briefing's own analyst may not vouch for where its words moved: another person must."""
        briefing = self.reanchored_briefing()
        self.run_action(self.newsroom.analyst, briefing)
        self.assert_untouched(briefing)

    def test_editor_confirms_with_a_record(self):
        """An editor who did not write the briefing confirms: the citations are ok, named, and an event is kept."""
        briefing = self.reanchored_briefing("published")
        self.run_action(self.other_editor, briefing)
        fresh = Briefing.objects.get(pk=briefing.pk)
        self.assertEqual(set(fresh.citations.values_list("status", flat=True)), {Citation.Status.OK})
        event = fresh.events.get(action=BriefingEvent.Action.REANCHORING_CONFIRMED)
        self.assertEqual(event.actor, self.other_editor)

    def test_retracted_briefing_is_refused(self):
        """Nobody, editors included, changes the citations of a retracted briefing; the message says why."""
        briefing = self.reanchored_briefing("retracted")
        response = self.run_action(self.other_editor, briefing)
        self.assert_untouched(briefing)
        self.assertTrue(any("retracted" in message for message in messages_of(response)), messages_of(response))

    def test_mixed_selection_is_judged_per_citation(self):
        """In one selection an editor's own briefing is refused and a colleague's is confirmed."""
        theirs = self.reanchored_briefing()
        others = Newsroom()
        own = others.draft([(passage(self.source, 2), "carry gas from the Caspian")])
        own.authors.add(self.other_editor)
        Citation.objects.filter(briefing=own).update(status=Citation.Status.REANCHORED)
        own = Briefing.objects.get(pk=own.pk)
        response = self.run_action(self.other_editor, own, theirs)
        self.assert_untouched(own)
        self.assertEqual(set(Citation.objects.filter(briefing=theirs).values_list("status", flat=True)), {"ok"})
        self.assertIn("1 re-anchored citation(s) confirmed.", messages_of(response))


class TagsOnPublishedWorkTests(TestCase):
    """Merging or deleting a tag that readers see is recorded on each briefing, and old tag links keep working."""

    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        source = make_source()
        cls.live = cls.newsroom.published([(passage(source, 1), "signed a transit agreement")], tags=["Power"])
        cls.draft = cls.newsroom.draft([(passage(source, 2), "carry gas from the Caspian")], tags=["Power"])
        cls.power = Tag.objects.get(name="Power")
        cls.energy = Tag.objects.create(name="Energy")

    def setUp(self):
        self.client.force_login(self.newsroom.editor)

    def merge(self):
        selection = {"action": "merge_tags", "_selected_action": [self.energy.pk, self.power.pk]}
        return self.client.post(
            reverse("admin:briefings_tag_changelist"), {**selection, "apply": "Merge tags", "keep": self.energy.pk}
        )

    def test_merge_records_an_event_on_each_published_briefing(self):
        """A merge shows in the review record of the published briefing it touches, not on drafts."""
        self.assertEqual(self.merge().status_code, 302)
        event = self.live.events.get(action=BriefingEvent.Action.TAGS_CHANGED)
        self.assertIn("“Power” merged into “Energy”", event.comment)
        self.assertEqual(event.actor, self.newsroom.editor)
        self.assertFalse(self.draft.events.filter(action=BriefingEvent.Action.TAGS_CHANGED).exists())
        self.assertEqual(list(self.live.published_revision.tags.values_list("name", flat=True)), ["Energy"])

    def test_merged_tag_page_and_feeds_redirect_to_the_kept_tag(self):
        """Readers following the old tag's page or feeds land on the kept tag's, with a permanent redirect."""
        self.merge()
        self.client.logout()
        for old, new in [
            ("/tags/power/", "/tags/energy/"),
            ("/tags/power/feed/", "/tags/energy/feed/"),
            ("/tags/power/feed/atom/", "/tags/energy/feed/atom/"),
            ("/tags/power/?page=1", "/tags/energy/?page=1"),
        ]:
            with self.subTest(old):
                response = self.client.get(old)
                self.assertEqual(response.status_code, 301)
                self.assertEqual(response["Location"], new)
                self.assertEqual(self.client.get(new).status_code, 200)

    def test_merging_again_keeps_the_oldest_links(self):
        """A tag merged into a tag that is merged later still leads to the tag that stays."""
        self.merge()
        climate = Tag.objects.create(name="Climate")
        self.client.post(
            reverse("admin:briefings_tag_changelist"),
            {"action": "merge_tags", "_selected_action": [self.energy.pk, climate.pk], "apply": "Merge tags",
             "keep": climate.pk},
        )
        self.client.logout()
        self.assertEqual(self.client.get("/tags/power/")["Location"], "/tags/climate/")
        self.assertEqual(self.client.get("/tags/energy/")["Location"], "/tags/climate/")

    def test_unknown_tag_is_still_not_found(self):
        """A tag that never existed is a 404, not a redirect."""
        self.assertEqual(self.client.get("/tags/no-such-tag/").status_code, 404)

    def test_delete_asks_for_confirmation_listing_published_briefings(self):
        """Deleting a tag readers see names the published briefings that carry it before anything happens."""
        response = self.client.get(reverse("admin:briefings_tag_delete", args=[self.power.pk]))
        self.assertContains(response, "Readers see 1 published briefing")
        self.assertContains(response, f'<li><a href="{change_url(self.live)}">{self.live.title}</a></li>', html=True)
        self.assertEqual(list(response.context["published_briefings"]), [self.live])  # not the draft
        self.assertTrue(Tag.objects.filter(pk=self.power.pk).exists())

    def test_delete_records_an_event_on_each_published_briefing(self):
        """Confirming the deletion records on the published briefing which tag it lost."""
        response = self.client.post(reverse("admin:briefings_tag_delete", args=[self.power.pk]), {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Tag.objects.filter(pk=self.power.pk).exists())
        event = self.live.events.get(action=BriefingEvent.Action.TAGS_CHANGED)
        self.assertIn("“Power” deleted", event.comment)
        self.assertFalse(self.draft.events.filter(action=BriefingEvent.Action.TAGS_CHANGED).exists())

    def test_bulk_delete_lists_and_records(self):
        """Deleting tags from the list asks first, naming the published briefings, then records the change."""
        url = reverse("admin:briefings_tag_changelist")
        selection = {"action": "delete_selected", "_selected_action": [self.power.pk, self.energy.pk]}
        confirm = self.client.post(url, selection)
        self.assertContains(confirm, self.live.title)
        self.assertContains(confirm, "these tags")
        self.client.post(url, {**selection, "post": "yes"})
        self.assertFalse(Tag.objects.exists())
        self.assertTrue(self.live.events.filter(action=BriefingEvent.Action.TAGS_CHANGED).exists())

    def test_analyst_cannot_merge_or_delete(self):
        """An analyst has no merge or delete on tags: nothing changes."""
        self.client.force_login(self.newsroom.analyst)
        self.merge()
        self.assertEqual(self.client.get(reverse("admin:briefings_tag_delete", args=[self.power.pk])).status_code,
                         403)
        self.assertEqual(Tag.objects.count(), 2)
        self.assertFalse(BriefingEvent.objects.filter(action=BriefingEvent.Action.TAGS_CHANGED).exists())
