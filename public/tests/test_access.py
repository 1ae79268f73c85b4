"""Who sees what: every role against every state of a briefing on every surface, generated as one matrix.

The rules the matrix holds the site to:

- The public site (pages, JSON API, feeds) ignores who is logged in: a briefing
  is there only once published (retracted ones keep their page with the notice),
  and anything else answers 404, never 403.
- A preview link shows the revision it names to whoever holds it, until it is
  superseded or readers can see it (then it leads to the public page); a forged or
  tampered link is a 404 that tells nothing.
- The admin is for the desk: anonymous visitors are sent to the login page.
  Analysts and editors see every briefing (the desk reviews each other's work);
  analysts change only their own, editors any, nobody a retracted one. Object
  pages of a briefing that does not exist answer 404 or the admin's redirect,
  never 403.
"""
import datetime

from django.test import TestCase
from django.utils import timezone

from briefings import preview, revisions, workflow
from briefings.models import Briefing
from briefings.tests.factories import changed_article, make_draft, make_source, make_user, passage

from .base import PublicSiteTestCase

STATES = ("draft", "in_review", "changes_requested", "approved", "published", "scheduled", "retracted")
ROLES = ("anonymous", "analyst", "other_analyst", "editor", "superuser")
PUBLIC_STATES = {"published", "retracted"}
LISTED_STATES = {"published"}


class AccessMatrixTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.users = {
            "analyst": make_user("analyst", "Analyst"),
            "other_analyst": make_user("other-analyst", "Analyst"),
            "editor": make_user("editor", "Editor"),
            "superuser": make_user("root", superuser=True),
        }
        reviewer = make_user("reviewer", "Editor")
        source = make_source()
        cls.briefings = {}
        for state in STATES:
            briefing = make_draft(
                cls.users["analyst"], [(passage(source, 1), "signed a transit agreement")],
                title=f"Matrix {state.replace('_', ' ')} briefing", tags=[f"Matrix {state}"],
            )
            analyst = cls.users["analyst"]
            if state != "draft":
                workflow.submit(briefing, analyst)
            if state == "changes_requested":
                workflow.request_changes(briefing, reviewer, comment="Check the date.")
            if state in {"approved", "published", "scheduled", "retracted"}:
                workflow.approve(briefing, reviewer)
            if state in {"published", "retracted"}:
                workflow.publish(briefing, reviewer)
            if state == "scheduled":
                workflow.publish(briefing, reviewer, at=timezone.now() + datetime.timedelta(days=2))
            if state == "retracted":
                workflow.retract(briefing, reviewer, reason="The agreement was never signed.")
            cls.briefings[state] = Briefing.objects.get(pk=briefing.pk)

    def login(self, role):
        self.client.logout()
        if role != "anonymous":
            self.client.force_login(self.users[role])

    # What the rules say ------------------------------------------------------

    @staticmethod
    def public_status(state):
        return 200 if state in PUBLIC_STATES else 404

    def may_change(self, role, state):
        return state != "retracted" and role in {"analyst", "editor", "superuser"}

    # The matrix --------------------------------------------------------------

    def test_public_pages_and_api(self):
        """Readers, logged in or not, reach a briefing's page and API only once it is public, else a 404."""
        for role in ROLES:
            self.login(role)
            for state, briefing in self.briefings.items():
                for url in (
                    f"/briefings/{briefing.slug}/",
                    f"/api/briefings/{briefing.slug}/",
                    f"/api/briefings/{briefing.slug}/annotations/",
                    f"/briefings/{briefing.slug}/changes/",
                ):
                    with self.subTest(role=role, state=state, url=url):
                        self.assertEqual(self.client.get(url).status_code, self.public_status(state))

    def test_citation_downloads(self):
        """A briefing's downloads follow its page: there once it is public, else a 404, for everyone."""
        for role in ROLES:
            self.login(role)
            for state, briefing in self.briefings.items():
                for extension in ("json", "bib", "ris"):
                    for url in (f"/briefings/{briefing.slug}/cite.{extension}",
                                f"/briefings/{briefing.slug}/sources.{extension}"):
                        with self.subTest(role=role, state=state, url=url):
                            self.assertEqual(self.client.get(url).status_code, self.public_status(state))

    def test_author_page_and_feeds_list_only_published_work(self):
        """The author's page and feeds carry their published briefing only, whoever asks."""
        author = self.users["analyst"].author_profile.get_absolute_url()
        for role in ROLES:
            self.login(role)
            content = "".join(self.client.get(url).content.decode()
                              for url in (author, f"{author}feed/", f"{author}feed/atom/"))
            for state, briefing in self.briefings.items():
                with self.subTest(role=role, state=state):
                    self.assertEqual(briefing.slug in content, state in LISTED_STATES)

    def test_feeds_and_lists(self):
        """Feeds, lists, the API list and the sitemap carry only published briefings, whoever asks."""
        surfaces = ("/", "/feed/", "/feed/atom/", "/api/briefings/", "/sitemap.xml", "/tags/")
        for role in ROLES:
            self.login(role)
            content = "".join(self.client.get(url).content.decode() for url in surfaces)
            for state, briefing in self.briefings.items():
                with self.subTest(role=role, state=state):
                    self.assertEqual(briefing.slug in content, state in LISTED_STATES)

    def test_tag_pages(self):
        """A tag only an unpublished briefing carries has no page: 404 for everyone."""
        for role in ROLES:
            self.login(role)
            for state in STATES:
                url = f"/tags/matrix-{state.replace('_', '-')}/"
                with self.subTest(role=role, state=state):
                    self.assertEqual(self.client.get(url).status_code, 200 if state in LISTED_STATES else 404)

    def test_preview_links(self):
        """A preview link shows its revision to whoever holds it, or leads to the public page once readers can see
        it; a tampered one is a 404 for everyone."""
        for state, briefing in self.briefings.items():
            latest = revisions.latest_revision(briefing)
            url = preview.preview_url(latest)
            token = url.rstrip("/").rsplit("/", 1)[1]
            tampered = url.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
            for role in ROLES:
                self.login(role)
                with self.subTest(role=role, state=state):
                    self.assertEqual(self.client.get(url).status_code, 302 if state in PUBLIC_STATES else 200)
                    response = self.client.get(tampered)
                    self.assertEqual(response.status_code, 404)
                    self.assertNotContains(response, briefing.title, status_code=404)

    def test_admin_object_pages(self):
        """The desk sees every briefing's change, history and revision pages; visitors are sent to log in."""
        for role in ROLES:
            self.login(role)
            for state, briefing in self.briefings.items():
                for page in ("change", "history", "revisions"):
                    url = f"/admin/briefings/briefing/{briefing.pk}/{page}/"
                    with self.subTest(role=role, state=state, page=page):
                        response = self.client.get(url)
                        if role == "anonymous":
                            self.assertEqual(response.status_code, 302)
                            self.assertTrue(response["Location"].startswith("/admin/login/"))
                        else:
                            self.assertEqual(response.status_code, 200)

    def test_admin_change_rights(self):
        """Only those allowed to change a briefing get a save button; anyone else's save is refused, saying why."""
        for role in ROLES[1:]:
            self.login(role)
            for state, briefing in self.briefings.items():
                with self.subTest(role=role, state=state):
                    response = self.client.get(f"/admin/briefings/briefing/{briefing.pk}/change/")
                    self.assertEqual('name="_save"' in response.content.decode(), self.may_change(role, state))
                    if not self.may_change(role, state):
                        url = f"/admin/briefings/briefing/{briefing.pk}/change/"
                        post = self.client.post(url, {"title": "Hijacked"})
                        # The form comes back with the reason and what was typed, never a bare 403.
                        self.assertEqual(post.status_code, 200)
                        reason = ("You can only edit briefings you are an author of." if role == "other_analyst"
                                  else "A retracted briefing cannot be edited.")
                        self.assertIn(reason, " ".join(post.context["adminform"].form.non_field_errors()))
                        self.assertEqual(Briefing.objects.get(pk=briefing.pk).title, briefing.title)

    def test_admin_changelist_shows_the_desk_its_briefings(self):
        """Every member of the desk finds every briefing in the admin list; visitors are sent to log in."""
        for role in ROLES:
            self.login(role)
            response = self.client.get("/admin/briefings/briefing/")
            with self.subTest(role=role):
                if role == "anonymous":
                    self.assertEqual(response.status_code, 302)
                    continue
                content = response.content.decode()
                for briefing in self.briefings.values():
                    self.assertIn(briefing.title, content)


class MissingObjectTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.editor = make_user("editor", "Editor")

    def test_admin_pages_of_a_missing_briefing_never_answer_403(self):
        """Object pages of a briefing that does not exist answer 404 or the admin's redirect, not 403."""
        self.client.force_login(self.editor)
        for page in ("change", "history", "revisions", "step/submit", "revisions/1/revert"):
            with self.subTest(page=page):
                status = self.client.get(f"/admin/briefings/briefing/987654/{page}/").status_code
                self.assertIn(status, {302, 404})

    def test_delete_page_tells_nothing_about_existence(self):
        """Nobody on the desk may delete briefings; the refusal is the same whether the briefing exists or not."""
        self.client.force_login(self.editor)
        existing = Briefing.objects.create(title="Exists", body="Text.")
        missing = self.client.get("/admin/briefings/briefing/987654/delete/")
        present = self.client.get(f"/admin/briefings/briefing/{existing.pk}/delete/")
        self.assertEqual((missing.status_code, missing.content), (present.status_code, present.content))

    def test_public_pages_of_a_missing_briefing_answer_404(self):
        """A made-up slug is a plain 404 on the page and the API."""
        for url in ("/briefings/no-such-thing/", "/api/briefings/no-such-thing/", "/preview/forged-token/",
                    "/briefings/no-such-thing/changes/"):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)


class SourceChangeAccessMatrixTests(TestCase):
    """Who may act on a changed source, by role and by the state of the briefing quoting it.

    - The "Source changes" queue and a source's versions page are the editors' desk: editors (authors of
      a briefing or not) and superusers see them, analysts are refused, visitors are sent to log in.
    - Confirming a re-anchored citation is for editors and superusers who did not write the briefing, in
      any state but retracted.
    - Withholding a version and restoring an earlier one are for editors and superusers, never analysts.
    """

    ROLES = ("anonymous", "analyst", "other_analyst", "editor", "editor_author", "superuser")
    DESK = {"editor", "editor_author", "superuser"}
    CONFIRMERS = {"editor", "superuser"}

    @classmethod
    def setUpTestData(cls):
        from sources.importer import import_text

        cls.users = {
            "analyst": make_user("analyst", "Analyst"),
            "other_analyst": make_user("other-analyst", "Analyst"),
            "editor": make_user("editor", "Editor"),
            "editor_author": make_user("editor-author", "Editor"),
            "superuser": make_user("root", superuser=True),
        }
        reviewer = make_user("reviewer", "Editor")
        cls.source = make_source()
        cls.citations = {}
        for state in STATES:
            briefing = make_draft(
                cls.users["analyst"], [(passage(cls.source, 1), "signed a transit agreement")],
                title=f"Changed source {state.replace('_', ' ')} briefing",
            )
            briefing.authors.add(cls.users["editor_author"])
            analyst = cls.users["analyst"]
            if state != "draft":
                workflow.submit(briefing, analyst)
            if state == "changes_requested":
                workflow.request_changes(briefing, reviewer, comment="Check the date.")
            if state in {"approved", "published", "scheduled", "retracted"}:
                workflow.approve(briefing, reviewer)
            if state in {"published", "retracted"}:
                workflow.publish(briefing, reviewer)
            if state == "scheduled":
                workflow.publish(briefing, reviewer, at=timezone.now() + datetime.timedelta(days=2))
            if state == "retracted":
                workflow.retract(briefing, reviewer, reason="The agreement was never signed.")
            cls.citations[state] = briefing.citations.get()
        first = cls.source.current_version()
        import_text(cls.source, changed_article(), by=reviewer)
        cls.first_version = first

    def login(self, role):
        self.client.logout()
        if role != "anonymous":
            self.client.force_login(self.users[role])

    def assert_desk_page(self, role, response):
        if role == "anonymous":
            self.assertEqual(response.status_code, 302)
            self.assertTrue(response["Location"].startswith("/admin/login/"))
        else:
            self.assertEqual(response.status_code, 200 if role in self.DESK else 403)

    def test_queue_and_versions_pages(self):
        """Editors and superusers see the queue and a source's versions; analysts are refused; visitors log in."""
        for role in self.ROLES:
            self.login(role)
            for url in ("/admin/briefings/sourcechange/", f"/admin/briefings/sourcechange/sources/{self.source.pk}/"):
                with self.subTest(role=role, url=url):
                    self.assert_desk_page(role, self.client.get(url))

    def test_confirm_reanchoring(self):
        """Only an editor or superuser who did not write the briefing confirms a moved quote, in any live state."""
        from briefings.models import Citation

        for role in self.ROLES:
            self.login(role)
            for state, citation in self.citations.items():
                with self.subTest(role=role, state=state):
                    Citation.objects.filter(pk=citation.pk).update(status=Citation.Status.REANCHORED)
                    response = self.client.post("/admin/briefings/sourcechange/confirm/", {"citation": citation.pk})
                    confirmed = Citation.objects.get(pk=citation.pk).status == Citation.Status.OK
                    self.assertEqual(confirmed, role in self.CONFIRMERS and state != "retracted")
                    if role not in {"anonymous", *self.CONFIRMERS}:
                        self.assertEqual(response.status_code, 403)

    def test_withhold_and_restore(self):
        """Editors and superusers may withhold a version or restore an earlier one; analysts may not."""
        for role in self.ROLES:
            self.login(role)
            for action in ("withhold", "restore"):
                url = f"/admin/briefings/sourcechange/versions/{self.first_version.pk}/{action}/"
                with self.subTest(role=role, action=action):
                    self.assert_desk_page(role, self.client.get(url))
                    if role not in {"anonymous", *self.DESK}:
                        self.assertEqual(self.client.post(url, {"reason": "No.", "expected_version": 2}).status_code,
                                         403)
        self.first_version.refresh_from_db()
        self.assertIsNone(self.first_version.withheld_at)
        self.assertEqual(self.source.versions.count(), 2)

