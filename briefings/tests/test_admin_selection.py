import json

from django.contrib.auth import get_user_model
from django.test import Client, TestCase
from django.urls import reverse

from briefings.models import Briefing, Citation
from briefings.staff_hint import STAFF_HINT_COOKIE

from .factories import Newsroom, cite, fresh, make_source, make_user, passage
from .html_forms import form_data

URL = reverse("admin:briefings_briefing_cite_selection")
QUOTE = "signed a transit agreement"


def change_url(briefing):
    return reverse("admin:briefings_briefing_change", args=[briefing.pk])


class CiteSelectionViewTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.analyst = cls.newsroom.analyst
        cls.source = make_source()
        cls.draft = cls.newsroom.draft(
            [(passage(cls.source, 3), "regional cooperation should not exclude Russia")], title="Transit talk"
        )

    def selection(self, briefing, words=QUOTE, ordinal=1, **fields):
        start = passage(self.source, ordinal).text.index(words)
        return {
            "source": self.source.slug,
            "briefing": briefing,
            "parts": [{"passage": f"p-{ordinal}", "start": start, "end": start + len(words), "quote": words}],
            **fields,
        }

    def post(self, data, client=None, **headers):
        return (client or self.client).post(URL, json.dumps(data), content_type="application/json", **headers)


class DeskTests(CiteSelectionViewTestCase):
    def test_staff_get_their_drafts_and_a_token_never_cached(self):
        """The source page's controls get the analyst's drafts and a CSRF token, in an answer nobody caches."""
        self.newsroom.in_review([(passage(self.source, 1), QUOTE)], title="Under review")
        self.client.force_login(self.analyst)
        response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        desk = response.json()
        self.assertEqual(desk["drafts"], [{"id": self.draft.pk, "title": "Transit talk"}])
        self.assertTrue(desk["csrf_token"])
        self.assertTrue(desk["may_start_briefing"])

    def test_anonymous_and_non_staff_are_refused(self):
        """Readers, and accounts that are not staff, get 403 and no data, and their stale hint is cleared."""
        reader = get_user_model().objects.create_user("reader", password="unused-in-tests")
        for user in (None, reader):
            with self.subTest(user=user):
                client = Client()
                if user:
                    client.force_login(user)
                client.cookies[STAFF_HINT_COOKIE] = "1"
                response = client.get(URL)
                self.assertEqual(response.status_code, 403)
                self.assertNotIn("Transit talk", response.content.decode())
                self.assertIn("no-store", response["Cache-Control"])
                self.assertEqual(response.cookies[STAFF_HINT_COOKIE].value, "")
                self.assertEqual(self.post(self.selection(self.draft.pk), client=client).status_code, 403)
        self.assertEqual(self.draft.citations.count(), 1)

    def test_other_methods_are_not_allowed(self):
        self.client.force_login(self.analyst)
        self.assertEqual(self.client.put(URL).status_code, 405)


class CiteTests(CiteSelectionViewTestCase):
    def setUp(self):
        self.client.force_login(self.analyst)

    def test_cite_into_a_draft(self):
        """Posting a selection adds a citation, says its marker and links to the editor; the body is unchanged."""
        response = self.post(self.selection(self.draft.pk))
        self.assertEqual(response.status_code, 201, response.content)
        answer = response.json()
        self.assertIn("Cited in “Transit talk” as [^signed-a-transit]", answer["message"])
        self.assertEqual(answer["briefing"]["url"], change_url(self.draft))
        self.assertEqual(answer["citations"], [{"label": "signed-a-transit", "marker": "[^signed-a-transit]",
                                                "quote": QUOTE}])
        citation = Citation.objects.get(briefing=self.draft, label="signed-a-transit")
        self.assertEqual((citation.start, citation.end), (18, 44))
        self.assertEqual(fresh(self.draft).body, self.draft.body)
        self.assertIn("no-store", response["Cache-Control"])

    def test_cite_into_a_new_briefing(self):
        response = self.post(self.selection("new", title="Rail freight through Azerbaijan"))
        self.assertEqual(response.status_code, 201, response.content)
        briefing = Briefing.objects.get(title="Rail freight through Azerbaijan")
        self.assertEqual(response.json()["briefing"]["id"], briefing.pk)
        self.assertEqual(list(briefing.authors.all()), [self.analyst])
        self.assertEqual(briefing.citations.get().quote, QUOTE)

    def test_csrf_token_is_required(self):
        """A post without the token the desk answer gave is refused: another site cannot cite in your name."""
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.analyst)
        self.assertEqual(self.post(self.selection(self.draft.pk), client=client).status_code, 403)
        token = client.get(URL).json()["csrf_token"]
        response = self.post(self.selection(self.draft.pk), client=client, headers={"X-CSRFToken": token})
        self.assertEqual(response.status_code, 201, response.content)

    def test_refusals_say_why(self):
        """Each refusal comes back as a status and a sentence for the page to show, never as an error page."""
        other = self.newsroom.published([(passage(self.source, 1), QUOTE)], title="Already out")
        stranger = Newsroom().draft([(passage(self.source, 1), QUOTE)], title="Someone else's")
        cases = [
            (self.selection(other.pk), 409, "“Already out” is published"),
            (self.selection(stranger.pk), 403, "You can only edit briefings you are an author of."),
            (self.selection(999999), 404, "That briefing no longer exists"),
            (self.selection("12abc"), 404, "That briefing no longer exists"),
            (self.selection([1]), 404, "That briefing no longer exists"),
            (self.selection(self.draft.pk, words="signed a"), 400, "The quote is too short"),
            (self.selection("new", title=""), 409, "A title for the new briefing is required."),
            ({**self.selection(self.draft.pk), "source": "elsewhere"}, 400, "a paragraph this source does not have"),
            ({"briefing": self.draft.pk}, 400, "did not say which source"),
        ]
        for data, status, message in cases:
            with self.subTest(message=message):
                response = self.post(data)
                self.assertEqual(response.status_code, status, response.content)
                self.assertIn(message, response.json()["error"])
        self.assertEqual(self.draft.citations.count(), 1)

    def test_malformed_bodies_are_refused(self):
        for body in (b"", b"not json", b"\xff\xfe", b"[]", b'"text"', b"null"):
            with self.subTest(body=body):
                response = self.client.post(URL, body, content_type="application/json")
                self.assertEqual(response.status_code, 400)


class UnplacedCitationsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.source = make_source()
        cls.briefing = cls.newsroom.draft([(passage(cls.source, 3), "regional cooperation should not exclude Russia")])
        cls.unplaced = cite(cls.briefing, passage(cls.source, 1), QUOTE, label="signed-a-transit", order=2)

    def setUp(self):
        self.client.force_login(self.newsroom.analyst)

    def test_editor_lists_citations_not_yet_placed_with_their_markers(self):
        """The analyst sees which citations still need a marker, with the marker and a button to insert it."""
        response = self.client.get(change_url(self.briefing))
        self.assertContains(response, "Not yet placed: 1 citation")
        self.assertContains(response, '<code class="unplaced-marker">[^signed-a-transit]</code>', html=True)
        self.assertContains(response, 'data-marker="[^signed-a-transit]" hidden')
        self.assertContains(response, "briefings/unplaced_citations.js")
        self.assertNotContains(response, "[^n1]</code>")

    def test_nothing_listed_once_every_citation_is_used(self):
        self.briefing.body += " Signed.[^signed-a-transit]"
        self.briefing.save()
        self.assertNotContains(self.client.get(change_url(self.briefing)), "Not yet placed")

    def test_an_editor_opened_before_the_citation_was_made_still_saves(self):
        """Words cited while the analyst had the editor open neither block their save nor get lost by it."""
        Citation.objects.filter(pk=self.unplaced.pk).delete()
        data = form_data(self.client.get(change_url(self.briefing)).content.decode(), "briefing_form")
        cite(self.briefing, passage(self.source, 1), QUOTE, label="signed-a-transit", order=2)  # from a source page
        data["body"] = [data["body"][0] + " Signed.[^signed-a-transit]"]
        response = self.client.post(change_url(self.briefing), data)
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        self.assertEqual(
            sorted(fresh(self.briefing).citations.values_list("label", flat=True)), ["n1", "signed-a-transit"]
        )

    def test_a_marker_without_any_citation_is_still_refused(self):
        data = form_data(self.client.get(change_url(self.briefing)).content.decode(), "briefing_form")
        data["body"] = [data["body"][0] + " More.[^missing]"]
        response = self.client.post(change_url(self.briefing), data)
        self.assertContains(response, "The footnote [^missing] has no citation")


class StaffHintTests(TestCase):
    def test_hint_is_set_at_staff_sign_in_and_cleared_at_sign_out(self):
        """Staff signing in get the hint the public page's script looks for; signing out removes it."""
        user = make_user("desk-analyst", "Analyst")
        user.set_password("a long enough password")
        user.save()
        response = self.client.post(
            reverse("admin:login"), {"username": "desk-analyst", "password": "a long enough password"}
        )
        self.assertEqual(response.status_code, 302)
        hint = response.cookies[STAFF_HINT_COOKIE]
        self.assertEqual(hint.value, "1")
        self.assertFalse(hint["httponly"])
        response = self.client.post(reverse("admin:logout"))
        self.assertEqual(response.cookies[STAFF_HINT_COOKIE].value, "")

    def test_no_hint_for_accounts_that_are_not_staff(self):
        get_user_model().objects.create_user("reader", password="a long enough password")
        credentials = {"username": "reader", "password": "a long enough password"}
        response = self.client.post(reverse("admin:login"), credentials)
        self.assertNotIn(STAFF_HINT_COOKIE, response.cookies)
