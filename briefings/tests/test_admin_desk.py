from django.test import Client, TestCase
from django.urls import reverse

from briefings.models import Briefing, Citation
from sources.models import Passage

from .factories import Newsroom, fresh, make_source, make_user, passage
from .html_forms import form_data

OPENING = "Officials in Baku signed a transit agreement on Monday after months of talks."
FREIGHT = "The agreement covers rail freight between Russia and Iran through Azerbaijan."
RUN_ON = ["Freight grew last year. It is easier to ship goods", "through Azerbaijan than around it, the ministry said."]
PASSAGE_URL = reverse("admin:briefings_briefing_desk_passage")
NEW_PREVIEW_URL = reverse("admin:briefings_briefing_desk_preview_new")
HTMX = {"HTTP_HX_REQUEST": "true"}


def change_url(briefing):
    return reverse("admin:briefings_briefing_change", args=[briefing.pk])


def preview_url(briefing):
    return reverse("admin:briefings_briefing_desk_preview", args=[briefing.pk])


def rows(*citations, initial=0):
    data = {
        "citations-TOTAL_FORMS": str(len(citations)),
        "citations-INITIAL_FORMS": str(initial),
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(citations):
        data.update({f"citations-{index}-{name}": value for name, value in row.items()})
    return data


class DeskTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source(OPENING, FREIGHT, *RUN_ON, slug="transit-desk", title="Baku signs a transit deal")
        cls.signed, cls.freight, cls.easier, cls.through = (passage(cls.source, n) for n in (1, 2, 3, 4))

    def setUp(self):
        self.client.force_login(self.newsroom.analyst)

    def editor_form(self, briefing):
        """What the analyst's browser would post from the briefing's change page."""
        return form_data(self.client.get(change_url(briefing)).content.decode(), "briefing_form")


class PreviewTests(DeskTestCase):
    """"Refresh preview": the unsaved form, rendered as readers would see it, and nothing saved."""

    def test_unsaved_body_is_rendered_with_numbered_footnotes_and_nothing_is_saved(self):
        """The analyst sees the words they just typed with their footnotes, and the saved briefing is unchanged."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        data = self.editor_form(briefing)
        data["body"] = ["A *new* claim, not saved yet.[^n1]"]
        response = self.client.post(preview_url(briefing), data, **HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "A <em>new</em> claim, not saved yet.")
        self.assertContains(response, 'href="#fn-1"')
        self.assertContains(response, '<li id="fn-1" class="footnote"><q class="footnote-quote">signed a transit '
                                      "agreement</q>")
        self.assertNotIn("new", fresh(briefing).body)
        self.assertNotContains(response, "<html")

    def test_new_rows_are_verified_and_numbered_in_order_of_use(self):
        """A row added in the form (not saved) becomes footnote 1 when the body uses it first."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        data = self.editor_form(briefing)
        total = int(data["citations-TOTAL_FORMS"][0])
        data.update({
            "citations-TOTAL_FORMS": [str(total + 1)],
            f"citations-{total}-label": ["rail"],
            f"citations-{total}-order": ["2"],
            f"citations-{total}-quote": ["rail freight between Russia and Iran"],
        })
        data["body"] = ["Freight.[^rail] Signed.[^n1]"]
        response = self.client.post(preview_url(briefing), data, **HTMX)
        self.assertContains(response, '<li id="fn-1" class="footnote"><q class="footnote-quote">rail freight')
        self.assertContains(response, '<li id="fn-2" class="footnote"><q class="footnote-quote">signed a transit')
        self.assertFalse(Citation.objects.filter(label="rail").exists())

    def test_a_citation_that_cannot_be_verified_shows_its_error_instead_of_a_footnote(self):
        """A quote its passage does not hold is named with the reason, and its marker stays as typed."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        data = self.editor_form(briefing)
        data["citations-0-quote"] = ["signed a transit treaty on Monday"]
        response = self.client.post(preview_url(briefing), data, **HTMX)
        self.assertContains(response, "Not shown as footnotes")
        self.assertContains(response, "<strong>[^n1]</strong>")
        self.assertContains(response, "The closest words in it are")
        self.assertNotContains(response, 'id="fn-1"')
        self.assertContains(response, "[^n1]</p>")

    def test_markers_without_citations_are_named(self):
        """A marker no row answers is listed as a problem, as saving would list it."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        data = self.editor_form(briefing)
        data["body"] = ["Signed.[^n1] And more.[^missing]"]
        response = self.client.post(preview_url(briefing), data, **HTMX)
        self.assertContains(response, "The footnote [^missing] has no citation")

    def test_user_text_is_sanitised_like_the_public_page(self):
        """A script typed into the body never reaches the preview."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        data = self.editor_form(briefing)
        data["body"] = ['Signed.[^n1] <script>alert(1)</script><a href="javascript:alert(1)">x</a>']
        response = self.client.post(preview_url(briefing), data, **HTMX)
        self.assertNotContains(response, "<script>alert")
        self.assertNotContains(response, "javascript:")

    def test_answer_is_never_stored(self):
        """Neither the browser nor a proxy keeps a copy of a draft's preview."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        response = self.client.post(preview_url(briefing), self.editor_form(briefing), **HTMX)
        self.assertIn("no-store", response["Cache-Control"])

    def test_a_new_briefing_is_previewed_with_the_add_permission(self):
        """Before the first save, the analyst previews the body with a row whose passage is found from the quote."""
        data = {"body": "Baku signed.[^signed]", **rows(
            {"label": "signed", "order": "1", "passage": "", "quote": '"signed a transit agreement"'},
        )}
        response = self.client.post(NEW_PREVIEW_URL, data, **HTMX)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<q class="footnote-quote">signed a transit agreement</q>')
        self.assertFalse(Briefing.objects.filter(body="Baku signed.[^signed]").exists())

    def test_someone_without_the_add_permission_is_refused_for_a_new_briefing(self):
        """Staff who may not write briefings get the reason, not a rendering."""
        self.client.force_login(make_user("reader-staff"))
        response = self.client.post(NEW_PREVIEW_URL, {"body": "Anything", **rows()}, **HTMX)
        self.assertContains(response, "You are not allowed to add briefings.", status_code=403)

    def test_another_analysts_briefing_is_refused_with_the_reason(self):
        """An analyst cannot preview (so cannot read) a briefing they do not write."""
        other = Newsroom()
        theirs = other.draft([(self.signed, "signed a transit agreement")], body="Their secret draft.[^n1]")
        response = self.client.post(preview_url(theirs), {"body": "x", **rows()}, **HTMX)
        self.assertContains(response, "You can only edit briefings you are an author of.", status_code=403)
        self.assertNotContains(response, "secret", status_code=403)

    def test_a_retracted_briefing_is_refused_with_the_reason(self):
        """Nothing of a retracted briefing is edited, so nothing is previewed."""
        briefing = self.newsroom.retracted([(self.signed, "signed a transit agreement")])
        response = self.client.post(preview_url(briefing), {"body": "x", **rows()}, **HTMX)
        self.assertContains(response, "A retracted briefing cannot be edited.", status_code=403)

    def test_citation_rows_of_another_briefing_are_never_rendered(self):
        """Naming another draft's citation in a posted row shows none of its words."""
        other = Newsroom()
        theirs = other.draft([(self.freight, "rail freight between Russia and Iran")])
        their_citation = theirs.citations.get()
        data = {"body": "Mine.[^n1]", **rows(
            {"id": str(their_citation.pk), "label": "n1", "order": "1", "passage": "", "quote": ""}, initial=1,
        )}
        response = self.client.post(NEW_PREVIEW_URL, data, **HTMX)
        self.assertNotContains(response, "rail freight", status_code=response.status_code)
        mine = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        data = self.editor_form(mine)
        data["citations-0-id"] = [str(their_citation.pk)]
        response = self.client.post(preview_url(mine), data, **HTMX)
        self.assertNotContains(response, "rail freight")

    def test_malformed_posts_get_an_answer_not_an_error_page(self):
        """Missing rows, ids that are no numbers and unknown briefings are answered in words or with 404."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        answers = [
            self.client.post(preview_url(briefing), {"body": "Text.[^n1]"}, **HTMX).status_code,
            self.client.post(preview_url(briefing), {"body": "x", **rows(
                {"id": "abc", "label": "n1", "passage": "x", "quote": "y", "order": "z"}, initial=1)}, **HTMX
            ).status_code,
            self.client.post(reverse("admin:briefings_briefing_desk_preview", args=["nope"]), {}, **HTMX).status_code,
            self.client.get(PASSAGE_URL, {"citations-0-passage": "abc", "citations-0-quote": "a\x00b c"}, **HTMX
                            ).status_code,
            self.client.get(PASSAGE_URL, {"citations-0-passage": "", "citations-0-quote": "signed\x00 a transit"},
                            **HTMX).status_code,
            self.client.get(PASSAGE_URL, {"a-passage": "1", "b-quote": "two rows at once"}, **HTMX).status_code,
        ]
        self.assertEqual(answers, [200, 200, 404, 200, 200, 200])

    def test_csrf_token_is_required(self):
        """A page on another site cannot make the analyst's browser render drafts."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.newsroom.analyst)
        response = client.post(preview_url(briefing), {"body": "x", **rows()}, **HTMX)
        self.assertEqual(response.status_code, 403)

    def test_only_posts_are_answered(self):
        """The preview renders a form; a link to it renders nothing."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        self.assertEqual(self.client.get(preview_url(briefing)).status_code, 405)

    def test_without_htmx_the_preview_comes_inside_the_admin_page(self):
        """Opened by a plain form post, the preview is a whole admin page rather than a fragment."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        response = self.client.post(preview_url(briefing), self.editor_form(briefing))
        self.assertContains(response, "<html")
        self.assertContains(response, 'id="fn-1"')


class PassageBesideCitationTests(DeskTestCase):
    """Beside each citation, its passage with the quoted words marked."""

    def test_saved_citation_shows_its_passage_with_the_words_marked(self):
        """The change page shows each saved citation's words in their passage, with no script needed."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        response = self.client.get(change_url(briefing))
        self.assertContains(response, "Baku signs a transit deal, paragraph 1")
        self.assertContains(response, "Officials in Baku <mark>signed a transit agreement</mark> on Monday")

    def test_a_long_passage_shows_the_neighbourhood_of_the_words(self):
        """A passage of many pages is shown around the quote, not whole."""
        long = make_source("Opening words. " * 20_000 + "The minister signed the deal today. " + "More. " * 20_000)
        briefing = self.newsroom.draft([(passage(long, 1), "The minister signed the deal today.")])
        response = self.client.get(change_url(briefing))
        content = response.content.decode()
        self.assertIn("<mark>The minister signed the deal today.</mark>", content)
        self.assertLess(content.count("Opening words."), 100)

    def test_the_desk_endpoint_marks_the_words_of_an_unsaved_row(self):
        """Changing a row's quote and asking again shows the new words in their passage."""
        response = self.client.get(PASSAGE_URL, {
            "citations-3-passage": str(self.freight.pk), "citations-3-quote": "rail freight between",
            "citations-3-prefix": "", "citations-3-suffix": "", "citations-3-label": "",
        }, **HTMX)
        self.assertContains(response, "The agreement covers <mark>rail freight between</mark> Russia")
        self.assertIn("no-store", response["Cache-Control"])

    def test_a_row_without_a_passage_finds_it_from_the_quote(self):
        """A straight-quoted quote with no passage chosen shows the passage that holds it."""
        response = self.client.get(PASSAGE_URL, {
            "citations-0-passage": "", "citations-0-quote": '"covers rail freight between Russia"',
        }, **HTMX)
        self.assertContains(response, "Baku signs a transit deal, paragraph 2")
        self.assertContains(response, "<mark>covers rail freight between Russia</mark>")

    def test_words_not_in_the_passage_say_why(self):
        """A quote the passage does not hold gets the same refusal as saving would give."""
        response = self.client.get(PASSAGE_URL, {
            "citations-0-passage": str(self.freight.pk), "citations-0-quote": "rail freight between Russia and Turkey",
        }, **HTMX)
        self.assertContains(response, "The closest words in it are")
        self.assertNotContains(response, "<mark>rail")

    def test_a_chosen_passage_without_a_quote_shows_its_opening_unless_it_cannot_be_cited(self):
        """Before the quote is pasted the passage's opening is shown; boilerplate and retired words are not."""
        response = self.client.get(PASSAGE_URL, {"citations-0-passage": str(self.freight.pk), "citations-0-quote": ""},
                                   **HTMX)
        self.assertContains(response, "Paste the quote to see its words marked in the passage.")
        self.assertContains(response, FREIGHT)
        furniture = passage(make_source("Real words of the story here.", "Subscribe to our newsletter today",
                                        kinds={2: Passage.Kind.BOILERPLATE}), 2)
        response = self.client.get(PASSAGE_URL, {"citations-0-passage": str(furniture.pk), "citations-0-quote": ""},
                                   **HTMX)
        self.assertNotContains(response, "Subscribe to our newsletter")

    def test_staff_without_citation_rights_are_refused(self):
        """Someone who may not cite gets no passages from the desk."""
        self.client.force_login(make_user("reader-staff"))
        response = self.client.get(PASSAGE_URL, {"citations-0-passage": str(self.freight.pk)}, **HTMX)
        self.assertEqual(response.status_code, 403)


class SplitTests(DeskTestCase):
    """A quote that runs across passages is split from the refusal's own button, without JavaScript."""

    def test_refusal_offers_the_split_and_the_button_splits_and_saves(self):
        """Saving a two-paragraph quote offers "Split into 2 citations"; pressing it saves two verified citations."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")], body="Easier.[^n1]")
        data = self.editor_form(briefing)
        data["citations-0-passage"] = [""]
        data["citations-0-quote"] = ["It is easier to ship goods\n\nthrough Azerbaijan than around it"]
        response = self.client.post(change_url(briefing), data)
        self.assertContains(response, "run on from one paragraph into the next")
        self.assertContains(
            response,
            '<button type="submit" class="button citation-split" name="_split_citation" value="citations-0">'
            "Split into 2 citations</button>",
        )
        data = form_data(response.content.decode(), "briefing_form")
        data["_split_citation"] = ["citations-0"]
        response = self.client.post(change_url(briefing), data)
        self.assertRedirects(response, change_url(briefing), fetch_redirect_response=False)
        citations = list(fresh(briefing).citations.order_by("label").values_list("label", "passage", "quote"))
        self.assertEqual(citations, [
            ("n1", self.easier.pk, "It is easier to ship goods"),
            ("n1-2", self.through.pk, "through Azerbaijan than around it"),
        ])
        self.assertEqual(fresh(briefing).body, "Easier.[^n1][^n1-2]")

    def test_a_chosen_passage_whose_quote_runs_on_is_split_too(self):
        """With the first passage chosen, the model's refusal carries the same button, and the split works."""
        data = {
            "title": "Shipping", "slug": "", "dek": "Freight.", "body": "Easier.[^ship]",
            "authors": [str(self.newsroom.analyst.pk)], "tags": "",
            **rows({"label": "ship", "order": "1", "passage": str(self.easier.pk),
                    "quote": "to ship goods through Azerbaijan than"}),
        }
        add_url = reverse("admin:briefings_briefing_add")
        response = self.client.post(add_url, data)
        self.assertContains(response, "Split into 2 citations")
        response = self.client.post(add_url, {**data, "_split_citation": "citations-0"})
        self.assertRedirects(response, reverse("admin:briefings_briefing_change", args=[Briefing.objects.get(
            title="Shipping").pk]), fetch_redirect_response=False)
        briefing = Briefing.objects.get(title="Shipping")
        self.assertEqual(
            list(briefing.citations.order_by("label").values_list("label", "quote")),
            [("ship", "to ship goods"), ("ship-2", "through Azerbaijan than")],
        )

    def test_a_quote_that_no_longer_runs_on_is_not_split(self):
        """Pressing the button after fixing the quote saves the row as it is and says nothing was split."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        data = self.editor_form(briefing)
        data["_split_citation"] = ["citations-0"]
        response = self.client.post(change_url(briefing), data, follow=True)
        self.assertContains(response, "The citation was not split")
        self.assertEqual(fresh(briefing).citations.count(), 1)

    def test_a_forged_row_prefix_changes_nothing(self):
        """A button value that names no row is ignored, not an error page."""
        briefing = self.newsroom.draft([(self.signed, "signed a transit agreement")])
        for value in ("citations-99", "other-0", "", "citations--1"):
            data = self.editor_form(briefing)
            data["_split_citation"] = [value]
            response = self.client.post(change_url(briefing), data, follow=True)
            self.assertEqual(response.status_code, 200)
        self.assertEqual(fresh(briefing).citations.count(), 1)

    def test_the_passage_panel_names_the_parts_but_leaves_the_split_to_the_save(self):
        """A run-on quote is explained beside the row; the button that submits the form comes with the save."""
        response = self.client.get(PASSAGE_URL, {
            "citations-0-passage": "", "citations-0-quote": "It is easier to ship goods through Azerbaijan than",
        }, **HTMX)
        self.assertContains(response, "run on from one paragraph into the next")
        self.assertNotContains(response, "_split_citation")
