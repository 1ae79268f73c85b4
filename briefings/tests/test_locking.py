import datetime

import time_machine
from django.contrib.messages import get_messages
from django.test import TestCase
from django.urls import reverse

from briefings import revisions
from briefings.models import Briefing

from .factories import cite, fresh, make_briefing, make_user, reviewed
from .html_forms import form_data

START = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC)


class ChangeFormLockingTests(TestCase):
    """The change form carries the version it was loaded at; a stale save is refused without losing text."""

    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")
        cls.editor.first_name, cls.editor.last_name = "Nina", "Petrova"
        cls.editor.save()
        cls.briefing = make_briefing(cls.analyst, body="The deal was signed.[^a]")
        cls.url = reverse("admin:briefings_briefing_change", args=[cls.briefing.pk])

    def open_form(self, user):
        self.client.force_login(user)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        return form_data(response.content.decode(), "briefing_form")

    def save(self, user, data):
        self.client.force_login(user)
        return self.client.post(self.url, data)

    def test_form_carries_the_version(self):
        """The version the editor loaded travels with the form."""
        data = self.open_form(self.analyst)
        self.assertEqual(data["expected_version"], [str(fresh(self.briefing).version)])

    def test_save_records_a_revision_and_a_new_version(self):
        """Saving a change adds a revision by the person who saved and moves the version on."""
        data = self.open_form(self.analyst)
        data["body"] = ["The deal was finally signed.[^a]"]
        response = self.save(self.analyst, data)
        self.assertEqual(response.status_code, 302)
        briefing = fresh(self.briefing)
        self.assertEqual(briefing.version, self.briefing.version + 1)
        latest = briefing.revisions.order_by("-number").first()
        self.assertEqual((latest.number, latest.body, latest.author), (2, briefing.body, self.analyst))

    def test_revision_holds_the_html_readers_would_see(self):
        """A revision saved with a removed citation renders without that footnote, like the page itself."""
        passage = self.briefing.citations.get().passage
        cite(self.briefing, passage, label="b", quote="after months of talks", order=1)
        data = self.open_form(self.analyst)
        data["body"] = ["The deal was signed.[^a]"]
        [delete] = [name for name, value in data.items() if name.endswith("-label") and value == ["b"]]
        data[delete.replace("-label", "-DELETE")] = ["on"]
        self.assertEqual(self.save(self.analyst, data).status_code, 302)
        briefing = fresh(self.briefing)
        latest = briefing.revisions.order_by("-number").first()
        # The revision's footnotes link to its own citation rows; the words are the working copy's.
        self.assertEqual(latest.body_html, revisions.render_revision(latest))
        self.assertNotIn("after months of talks", latest.body_html)
        self.assertIn("signed a transit agreement", latest.body_html)

    def test_revision_holds_edited_quote(self):
        """A quote changed in the citation inline is what the new revision shows."""
        data = self.open_form(self.analyst)
        [quote] = [name for name in data if name.endswith("-quote") and "__prefix__" not in name]
        data[quote] = ["a transit agreement on Monday"]
        self.assertEqual(self.save(self.analyst, data).status_code, 302)
        latest = fresh(self.briefing).revisions.order_by("-number").first()
        self.assertIn("a transit agreement on Monday", latest.body_html)
        self.assertIn("a transit agreement on Monday", fresh(self.briefing).body_html)

    def test_stale_save_is_refused_naming_who_and_when(self):
        """Saving over someone's newer version is refused with their name and time, and the text stays."""
        mine = self.open_form(self.analyst)
        theirs = self.open_form(self.editor)
        theirs["body"] = ["The editor's version.[^a]"]
        with time_machine.travel(START, tick=False):
            self.assertEqual(self.save(self.editor, theirs).status_code, 302)
        mine["body"] = ["My carefully written paragraph.[^a]"]
        response = self.save(self.analyst, mine)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Nina Petrova saved a newer version of this briefing on")
        self.assertContains(response, "1 June 2026, 09:00 UTC")
        self.assertContains(response, "My carefully written paragraph.")
        self.assertEqual(fresh(self.briefing).body, "The editor's version.[^a]")

    def test_second_save_after_warning_replaces_knowingly(self):
        """After the warning, saving the kept text again replaces the newer version on purpose."""
        mine = self.open_form(self.analyst)
        theirs = self.open_form(self.editor)
        theirs["body"] = ["The editor's version.[^a]"]
        self.save(self.editor, theirs)
        mine["body"] = ["My carefully written paragraph.[^a]"]
        refused = self.save(self.analyst, mine)
        again = form_data(refused.content.decode(), "briefing_form")
        self.assertEqual(again["body"], ["My carefully written paragraph.[^a]"])
        self.assertEqual(self.save(self.analyst, again).status_code, 302)
        self.assertEqual(fresh(self.briefing).body, "My carefully written paragraph.[^a]")
        self.assertEqual(fresh(self.briefing).revisions.count(), 3)

    def test_saving_approved_briefing_sends_it_back_with_a_warning(self):
        """Editing an approved briefing in the admin returns it to review and says so."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        url = reverse("admin:briefings_briefing_change", args=[briefing.pk])
        self.client.force_login(self.analyst)
        data = form_data(self.client.get(url).content.decode(), "briefing_form")
        data["title"] = ["A sharper title"]
        response = self.client.post(url, data, follow=True)
        self.assertEqual(fresh(briefing).status, Briefing.Status.IN_REVIEW)
        self.assertIn("needs a new review", " ".join(str(m) for m in get_messages(response.wsgi_request)))

    def test_unchanged_save_keeps_approval(self):
        """Pressing save without changing anything keeps the approval."""
        briefing = reviewed(make_briefing(self.analyst), self.analyst, self.editor)
        url = reverse("admin:briefings_briefing_change", args=[briefing.pk])
        self.client.force_login(self.analyst)
        data = form_data(self.client.get(url).content.decode(), "briefing_form")
        self.assertEqual(self.client.post(url, data).status_code, 302)
        self.assertEqual(fresh(briefing).status, Briefing.Status.APPROVED)


class TransitionLockingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.analyst = make_user("analyst", "Analyst")
        cls.editor = make_user("editor", "Editor")

    def test_step_from_stale_page_is_refused(self):
        """A button pressed on a page loaded before someone else's save does nothing and says why."""
        briefing = make_briefing(self.analyst)
        workflow_url = reverse("admin:briefings_briefing_transition", args=[briefing.pk, "submit"])
        stale_version = briefing.version
        change_url = reverse("admin:briefings_briefing_change", args=[briefing.pk])
        self.client.force_login(self.analyst)
        data = form_data(self.client.get(change_url).content.decode(), "briefing_form")
        data["dek"] = ["A new summary."]
        self.client.post(change_url, data)
        response = self.client.post(workflow_url, {"version": stale_version})
        self.assertContains(response, "analyst saved a newer version")
        self.assertEqual(fresh(briefing).status, Briefing.Status.DRAFT)
