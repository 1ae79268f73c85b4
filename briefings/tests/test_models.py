from unittest import mock, skipUnless

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.test import TestCase

from briefings import quotes, revisions, search_index, workflow
from briefings.models import Briefing, Citation, Correction, PassageSearchEntry, Revision, RevisionSearchEntry, Tag
from sources.models import Passage

from .factories import Newsroom, cite, make_briefing, make_passage, make_source, make_user, passage

PARAGRAPH = "Azerbaijan has suggested that it could fill the gap by transiting Azerbaijani gas across Ukraine."
CURLY = "Azerbaijan is “a key partner in our efforts to move away from Russian fossil fuels,” she said."


class BriefingSlugTests(TestCase):
    def test_slug_made_from_title(self):
        """A briefing saved without a slug gets one from its title."""
        briefing = make_briefing(title="Gas flows through Baku")
        self.assertEqual(briefing.slug, "gas-flows-through-baku")

    def test_slug_made_unique(self):
        """Two briefings with the same title get different slugs."""
        make_briefing(title="Gas flows through Baku")
        self.assertEqual(make_briefing(title="Gas flows through Baku").slug, "gas-flows-through-baku-2")

    def test_slug_typed_by_editor_is_kept(self):
        """A slug typed by the editor is not replaced."""
        self.assertEqual(make_briefing(title="Gas", slug="energy-notes").slug, "energy-notes")

    def test_title_without_latin_letters_still_gets_a_slug(self):
        """A title that slugifies to nothing still yields a usable slug; a Cyrillic one is transliterated."""
        self.assertEqual(make_briefing(title="北京会谈").slug, "briefing")
        self.assertEqual(make_briefing(title="Москва и Баку").slug, "moskva-i-baku")


class CitationVerificationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.source = make_source(
            PARAGRAPH, CURLY, "Share", "Gas flows west. Oil flows east. Gas flows west again.",
            kinds={3: Passage.Kind.BOILERPLATE},
        )
        cls.paragraph = passage(cls.source, 1)
        cls.curly = passage(cls.source, 2)
        cls.boilerplate = passage(cls.source, 3)
        cls.repeats = passage(cls.source, 4)

    def setUp(self):
        self.briefing = make_briefing(body="Claim.[^a]")

    def test_exact_quote_is_stored_with_offsets_and_context(self):
        """A correct quote is saved with its offsets and the words around it."""
        citation = cite(self.briefing, self.paragraph, "it could fill the gap")
        start = PARAGRAPH.index("it could fill the gap")
        self.assertEqual((citation.start, citation.end), (start, start + len("it could fill the gap")))
        self.assertEqual(citation.prefix, PARAGRAPH[:start][-32:])
        self.assertEqual(citation.suffix, PARAGRAPH[citation.end:citation.end + 32])
        self.assertEqual(citation.status, Citation.Status.OK)

    def test_typed_quote_is_stored_as_the_source_prints_it(self):
        """Straight quotes and odd spacing typed by the analyst are replaced by the source's exact words."""
        citation = cite(self.briefing, self.curly, 'is "a key  partner in our efforts')
        self.assertEqual(citation.quote, "is “a key partner in our efforts")

    def test_quote_not_in_passage_is_refused_on_save(self):
        """Saving a citation whose words are not in the passage raises, whatever the caller."""
        with self.assertRaises(ValidationError) as raised:
            cite(self.briefing, self.paragraph, "it could close the gap")
        self.assertIn("closest words", raised.exception.message_dict["quote"][0])
        self.assertFalse(Citation.objects.exists())

    def test_quote_marks_pasted_around_a_quote_are_not_stored(self):
        """Quote marks pasted with the words are removed, so the footnote does not show them doubled."""
        for pasted in ('"it could fill the gap"', "“it could fill the gap”", "«it could fill the gap»",
                       "“\"it could fill the gap"):
            with self.subTest(pasted=pasted):
                citation = cite(self.briefing, self.paragraph, pasted, label="q")
                self.assertEqual(citation.quote, "it could fill the gap")
                citation.delete()

    def test_quote_marks_that_belong_to_the_source_are_kept(self):
        """Marks the source prints inside the quoted words are kept as the source prints them."""
        citation = cite(self.briefing, self.curly, 'is "a key partner in our efforts')
        self.assertEqual(citation.quote, "is “a key partner in our efforts")

    def test_translation_needs_a_translator(self):
        """A translation without a named translator is refused, and so is a translator without a translation."""
        with self.assertRaises(ValidationError) as raised:
            cite(self.briefing, self.paragraph, "it could fill the gap", translation="il pourrait combler")
        self.assertIn("Say who translated the quote", raised.exception.message_dict["translation_by"][0])
        with self.assertRaises(ValidationError) as raised:
            cite(self.briefing, self.paragraph, "it could fill the gap", translation_by="  DeepL ")
        self.assertIn("there is no translation", raised.exception.message_dict["translation"][0])
        citation = cite(
            self.briefing, self.paragraph, "it could fill the gap", translation=" il pourrait combler ",
            translation_by=" Jane Doe ",
        )
        self.assertEqual((citation.translation, citation.translation_by), ("il pourrait combler", "Jane Doe"))

    def test_translation_is_kept_in_the_published_revision(self):
        """A revision records the translation and its translator, and changing them is a change to the draft."""
        citation = cite(
            self.briefing, self.paragraph, "it could fill the gap", translation="il pourrait combler",
            translation_by="DeepL",
        )
        fields = revisions.copied_citation_fields(citation)
        self.assertEqual((fields["translation"], fields["translation_by"]), ("il pourrait combler", "DeepL"))
        self.assertIn("translation", revisions.CITATION_FIELDS)
        self.assertIn("translation_by", revisions.CITATION_FIELDS)

    def test_quote_running_into_the_next_paragraph_names_both_parts(self):
        """A quote pasted across two paragraphs is refused with the paragraphs and the words of each."""
        source = make_source(
            "Freight grew last year. It is easier to ship goods",
            "through Azerbaijan than around it, the ministry said.",
        )
        with self.assertRaises(ValidationError) as raised:
            cite(self.briefing, passage(source, 1), "“It is easier to ship goods\n\nthrough Azerbaijan than around it”")
        message = raised.exception.message_dict["quote"][0]
        self.assertEqual(raised.exception.error_dict["quote"][0].code, "spans_passages")
        self.assertIn("run on past the end of paragraph 1 into the next paragraph", message)
        self.assertIn("paragraph 1: “It is easier to ship goods”", message)
        self.assertIn("paragraph 2: “through Azerbaijan than around it”", message)

    def test_quote_longer_than_its_passage_may_still_run_on(self):
        """A run-on quote longer than its whole first passage is recognised too, not only called too long."""
        source = make_source("It is easier to ship", "goods through Azerbaijan than around it, the ministry said.")
        with self.assertRaises(ValidationError) as raised:
            cite(self.briefing, passage(source, 1), "It is easier to ship goods through Azerbaijan")
        self.assertEqual(raised.exception.error_dict["quote"][0].code, "spans_passages")

    def test_case_difference_is_refused(self):
        """A quote with different capitals is not accepted."""
        with self.assertRaises(ValidationError):
            cite(self.briefing, self.paragraph, "It Could Fill the gap")

    def test_short_and_empty_quotes_are_refused(self):
        """Empty quotes and quotes under three words are refused with their own messages."""
        for quote, words in (("", "empty"), ("the gap", "too short")):
            with self.subTest(quote=quote), self.assertRaises(ValidationError) as raised:
                Citation(briefing=self.briefing, passage=self.paragraph, quote=quote, label="a").full_clean()
            self.assertIn(words, " ".join(raised.exception.message_dict["quote"]))

    def test_boilerplate_passage_is_refused(self):
        """A passage of page furniture cannot be cited."""
        with self.assertRaises(ValidationError) as raised:
            cite(self.briefing, self.boilerplate, "Share this with friends")
        self.assertIn("passage", raised.exception.message_dict)

    def test_retired_passage_is_refused(self):
        """A passage gone from the current source cannot be chosen for a new citation."""
        Passage.objects.filter(pk=self.paragraph.pk).update(retired=True)
        self.paragraph.refresh_from_db()
        with self.assertRaises(ValidationError) as raised:
            cite(self.briefing, self.paragraph, "it could fill the gap")
        self.assertIn("no longer in the current version", raised.exception.message_dict["passage"][0])

    def test_duplicate_quote_needs_context(self):
        """Words occurring twice are refused until the analyst gives words before or after them."""
        with self.assertRaises(ValidationError) as raised:
            cite(self.briefing, self.repeats, "Gas flows west")
        self.assertIn("2 times", raised.exception.message_dict["quote"][0])
        citation = cite(self.briefing, self.repeats, "Gas flows west", prefix="Oil flows east.")
        self.assertEqual(citation.start, self.repeats.text.rindex("Gas flows west"))

    def test_saving_again_keeps_the_chosen_occurrence(self):
        """Re-saving a citation of repeated words keeps the occurrence it was saved with."""
        citation = cite(self.briefing, self.repeats, "Gas flows west", prefix="Oil flows east.")
        citation.prefix = citation.suffix = ""
        citation.note = "Second mention."
        citation.save()
        self.assertEqual(citation.start, self.repeats.text.rindex("Gas flows west"))

    def test_database_refuses_end_before_start(self):
        """The database itself refuses a citation whose end is not after its start."""
        citation = cite(self.briefing, self.paragraph, "it could fill the gap")
        with self.assertRaises(IntegrityError), transaction.atomic():
            Citation.objects.filter(pk=citation.pk).update(end=citation.start)

    def test_database_refuses_a_repeated_label(self):
        """Two citations of one briefing cannot share a label, even written behind the model's back."""
        cite(self.briefing, self.paragraph, "it could fill the gap")
        with self.assertRaises(IntegrityError), transaction.atomic():
            Citation.objects.bulk_create(
                [Citation(briefing=self.briefing, passage=self.paragraph, quote="x y z", start=0, end=5, label="a")]
            )


class VerifiedOncePerSaveTests(TestCase):
    def test_clean_then_save_searches_the_passage_once(self):
        """A form's clean() and the save after it verify the quote once, so a long passage is not searched twice."""
        briefing = make_briefing()
        citation = Citation(briefing=briefing, passage=make_passage(), quote="signed a transit agreement", label="a")
        with mock.patch.object(quotes, "locate", wraps=quotes.locate) as locate:
            citation.full_clean()
            citation.save()
        self.assertEqual(locate.call_count, 1)

    def test_changed_quote_is_verified_again_on_save(self):
        """A quote changed after clean() is checked again when saved, so no unverified words are stored."""
        briefing = make_briefing()
        citation = Citation(briefing=briefing, passage=make_passage(), quote="signed a transit agreement", label="a")
        citation.full_clean()
        citation.quote = "words that are not there at all"
        with self.assertRaises(ValidationError):
            citation.save()


class MarkerMatchTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.paragraph = passage(make_source(PARAGRAPH), 1)

    def test_matching_markers_and_citations_are_valid(self):
        """A body whose markers all resolve and whose citations are all used has no citation problem."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas]")
        cite(briefing, self.paragraph, "it could fill the gap", label="gas")
        briefing.full_clean()
        self.assertEqual(briefing.citation_problems(), [])

    def test_unknown_marker_is_named(self):
        """A marker without a citation is one problem, naming the marker."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas] And more.[^oil]")
        cite(briefing, self.paragraph, "it could fill the gap", label="gas")
        problems = briefing.citation_problems()
        self.assertEqual(len(problems), 1)
        self.assertIn("[^oil]", problems[0])

    def test_unused_citation_is_named(self):
        """A citation no marker uses is a problem naming the citation."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas]")
        cite(briefing, self.paragraph, "it could fill the gap", label="gas")
        cite(briefing, self.paragraph, "transiting Azerbaijani gas across", label="transit")
        problems = briefing.citation_problems()
        self.assertEqual(len(problems), 1)
        self.assertIn("“transit”", problems[0])

    def test_markers_in_code_are_not_markers(self):
        """A marker shown as code in the body needs no citation."""
        briefing = make_briefing(body="Write `[^label]` to cite.")
        self.assertEqual(briefing.citation_problems(), [])

    def test_labels_about_to_be_saved_replace_saved_citations(self):
        """Citations a form saves with the body are what its markers are checked against."""
        briefing = make_briefing(body="Gas.[^new]")
        self.assertEqual(briefing.citation_problems(labels=["new"]), [])
        self.assertEqual(len(briefing.citation_problems()), 1)


class RenderingOnSaveTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.paragraph = passage(make_source(PARAGRAPH, slug="gas-article"), 1)

    def test_body_html_rendered_on_save(self):
        """Saving a briefing stores its HTML, so pages never render Markdown."""
        briefing = make_briefing(body="Some *emphasis*.")
        self.assertIn("<em>emphasis</em>", Briefing.objects.get(pk=briefing.pk).body_html)

    def test_adding_a_citation_renders_its_footnote(self):
        """A citation saved after the briefing shows up in the stored HTML straight away."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas]")
        self.assertNotIn('id="fn-1"', briefing.body_html)
        citation = cite(briefing, self.paragraph, "it could fill the gap", label="gas")
        html = Briefing.objects.get(pk=briefing.pk).body_html
        self.assertIn('id="fn-1"', html)
        self.assertIn(f"/sources/gas-article/versions/1/?cite={citation.pk}#p-1", html)

    def test_deleting_a_citation_removes_its_footnote(self):
        """Removing a citation takes its footnote out of the stored HTML."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas]")
        citation = cite(briefing, self.paragraph, "it could fill the gap", label="gas")
        citation.delete()
        self.assertNotIn('id="fn-1"', Briefing.objects.get(pk=briefing.pk).body_html)

    def test_refreshing_does_not_touch_updated_at(self):
        """Re-rendering the HTML is not an edit: the briefing's updated time stays."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas]")
        before = Briefing.objects.get(pk=briefing.pk).updated_at
        cite(briefing, self.paragraph, "it could fill the gap", label="gas")
        self.assertEqual(Briefing.objects.get(pk=briefing.pk).updated_at, before)


class TagTests(TestCase):
    def test_tags_ignore_case_in_any_order(self):
        """"Energy" and "energy" are one tag whichever is typed first."""
        first, second = make_briefing(), make_briefing()
        first.tags.add("energy")
        second.tags.add("Energy")
        first.tags.add("ENERGY")
        self.assertEqual(Tag.objects.count(), 1)
        self.assertEqual(list(second.tags.names()), ["energy"])

    def test_both_spellings_at_once_make_one_tag(self):
        """Typing both spellings in one go still makes a single tag."""
        briefing = make_briefing()
        briefing.tags.set(["Energy", "energy"])
        self.assertEqual(briefing.tags.count(), 1)

    def test_tag_with_other_case_is_refused_by_validation(self):
        """Creating a tag that differs only in case from an existing one is refused with a message."""
        Tag.objects.create(name="Energy")
        with self.assertRaises(ValidationError) as raised:
            Tag(name="ENERGY", slug="energy-2").full_clean()
        self.assertIn("ignore case", str(raised.exception))

    def test_tags_have_slugs(self):
        """A new tag gets a slug for its URL."""
        briefing = make_briefing()
        briefing.tags.add("South Caucasus")
        self.assertEqual(Tag.objects.get().slug, "south-caucasus")

    def test_merge_moves_briefings_and_deletes_the_others(self):
        """Merging moves every briefing to the kept tag, once, and deletes the merged tags."""
        both, only_gas, only_lng = make_briefing(), make_briefing(), make_briefing()
        both.tags.add("Energy", "Gas")
        only_gas.tags.add("Gas", "LNG")
        only_lng.tags.add("LNG")
        for briefing in (both, only_gas, only_lng):
            revisions.snapshot(briefing, None)
        energy = Tag.objects.get(name="Energy")
        merged = list(Tag.objects.exclude(pk=energy.pk))
        # Inside a savepoint: one read of the taggings and one update of those that move, the same
        # two for the revisions' tags, three to point the merged tags' addresses here (earlier redirects
        # follow, stale ones go, one insert for the new ones), then deleting the merged tags (read
        # them, read their leftover taggings, delete their redirects, the leftover revision tags and
        # taggings, then the tags). The count does not depend on how many briefings or revisions carry
        # the tags.
        with self.assertNumQueries(15):
            moved = energy.merge(merged)
        self.assertEqual(moved, 2)
        self.assertEqual(list(Tag.objects.values_list("name", flat=True)), ["Energy"])
        for briefing in (both, only_gas, only_lng):
            self.assertEqual(list(briefing.tags.names()), ["Energy"])
            self.assertEqual(list(briefing.revisions.get().tags.values_list("name", flat=True)), ["Energy"])


class PublishedSlugTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        source = make_source()
        cls.quote = [(passage(source, 1), "signed a transit agreement")]
        cls.newsroom = newsroom

    def test_published_briefing_refuses_a_new_slug(self):
        """Changing the address of a published briefing is refused, naming the slug to keep."""
        briefing = self.newsroom.published(self.quote, slug="baku-deal")
        briefing.slug = "another-address"
        with self.assertRaises(ValidationError) as refused:
            briefing.full_clean()
        self.assertIn("baku-deal", " ".join(refused.exception.message_dict["slug"]))

    def test_slug_stays_fixed_once_a_publication_is_recorded(self):
        """A briefing whose publication is on record keeps its address even without a published revision."""
        briefing = self.newsroom.published(self.quote, slug="baku-deal")
        models.QuerySet(Briefing).filter(pk=briefing.pk).update(
            status=Briefing.Status.DRAFT, published_revision=None, published_at=None
        )
        briefing = Briefing.objects.get(pk=briefing.pk)
        briefing.slug = "another-address"
        with self.assertRaises(ValidationError):
            briefing.full_clean()

    def test_unpublished_briefing_may_change_its_slug(self):
        """Drafts, and briefings taken off the schedule before anyone saw them, may still change address."""
        draft = self.newsroom.draft(self.quote, slug="draft-address")
        unscheduled = self.newsroom.scheduled(self.quote, slug="planned-address")
        workflow.unpublish(unscheduled, self.newsroom.editor)
        for briefing in (draft, Briefing.objects.get(pk=unscheduled.pk)):
            with self.subTest(slug=briefing.slug):
                briefing.slug = f"{briefing.slug}-2"
                briefing.full_clean()


class PublicRuleTests(TestCase):
    """A loaded briefing answers "can readers see it?" exactly as the querysets select it."""

    @classmethod
    def setUpTestData(cls):
        newsroom = Newsroom()
        quote = [(passage(make_source(), 1), "signed a transit agreement")]
        cls.briefings = {
            "draft": newsroom.draft(quote),
            "live": newsroom.published(quote),
            "scheduled": newsroom.scheduled(quote),
            "retracted": newsroom.retracted(quote),
        }

    def test_row_rules_agree_with_the_querysets(self):
        """Lists, feeds and single pages never disagree on whether a briefing is public, scheduled or live."""
        rules = [
            ("is_public", Briefing.objects.public_pages()),
            ("is_scheduled", Briefing.objects.scheduled()),
            ("is_published", Briefing.objects.published()),
        ]
        for name, briefing in self.briefings.items():
            briefing = Briefing.objects.get(pk=briefing.pk)
            for method, queryset in rules:
                with self.subTest(briefing=name, rule=method):
                    self.assertEqual(getattr(briefing, method)(), queryset.filter(pk=briefing.pk).exists())

    def test_scheduled_briefing_becomes_public_when_its_time_comes(self):
        """A scheduled briefing is public from its publication time on, with no worker involved."""
        briefing = Briefing.objects.get(pk=self.briefings["scheduled"].pk)
        later = briefing.published_at
        self.assertEqual((briefing.is_public(later), briefing.is_scheduled(later)), (True, False))
        self.assertTrue(Briefing.objects.published(later).filter(pk=briefing.pk).exists())

    def test_corrections_are_public_with_their_briefings_page(self):
        """A retraction notice stays public with the retracted briefing's page."""
        retracted = self.briefings["retracted"]
        self.assertEqual(
            list(Correction.objects.public().values_list("briefing", flat=True)), [retracted.pk]
        )

    def test_last_public_change_falls_back_to_publication(self):
        """A briefing never updated since publication was last changed when it was published."""
        live = Briefing.objects.get(pk=self.briefings["live"].pk)
        retracted = Briefing.objects.get(pk=self.briefings["retracted"].pk)
        self.assertEqual(live.last_public_change, live.published_at)
        self.assertGreater(retracted.last_public_change, retracted.published_at)


@skipUnless(connection.vendor == "sqlite" and search_index.fts5_available(), "FTS5 is SQLite's")
class SearchEntryTests(TestCase):
    def test_revisions_and_passages_are_found_through_their_search_entries(self):
        """A revision or passage is found by its words through its entry in the full-text index, and no other."""
        writer = make_user()
        make_briefing(writer, title="Zeppelin corridor")
        make_briefing(writer, title="Caspian talks")
        found = Revision.objects.filter(search_entry__document__match='"zeppelin"')
        self.assertEqual(list(found.values_list("title", flat=True)), ["Zeppelin corridor"])
        wanted = make_passage("Talks on the Trans-Caspian pipeline resumed in Ashgabat.")
        make_passage("Nothing was said about gas.")
        self.assertEqual(list(Passage.objects.filter(search_entry__document__match='"ashgabat"')), [wanted])

    def test_entries_name_their_rows(self):
        """The entries' keys are the revisions' and passages' own, so joins need no other column."""
        revision = make_briefing(make_user(), title="Zeppelin corridor").revisions.get()
        self.assertEqual(RevisionSearchEntry.objects.get(document__match='"zeppelin"').revision, revision)
        passage_row = make_passage("Talks resumed in Ashgabat.")
        self.assertEqual(PassageSearchEntry.objects.get(document__match='"ashgabat"').passage_id, passage_row.pk)
