"""Authors as readers meet them: names instead of login names, author pages with their briefings, author feeds,
and profiles only their owner or an administrator may rename."""
import datetime
import json
import re

import feedparser
import time_machine
from django.test import TestCase

from briefings.models import AuthorProfile
from briefings.tests.factories import Newsroom, make_draft, make_source, make_user, passage

from .base import PublicSiteTestCase

QUOTE = "signed a transit agreement"


def parse(response):
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def structured_data(response):
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S)
    return json.loads(found.group(1))


class AuthorPageTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.analyst = cls.newsroom.analyst
        cls.source = make_source()
        cls.published = cls.newsroom.published([(passage(cls.source, 1), QUOTE)], title="Transit deal signed")
        cls.newsroom.draft([(passage(cls.source, 2), "carry gas from the Caspian")], title="Draft about gas")
        cls.newsroom.in_review([(passage(cls.source, 3), "Moscow reacted cautiously")], title="Review about Moscow")
        cls.newsroom.scheduled([(passage(cls.source, 4), "expect tariffs to fall")], title="Scheduled on tariffs")
        cls.newsroom.retracted([(passage(cls.source, 1), QUOTE)], title="Retracted on transit")
        cls.profile = AuthorProfile.objects.get(user=cls.analyst)
        cls.profile.bio = "Covers energy from Baku & Tbilisi."
        cls.profile.save()
        cls.url = f"/authors/{cls.profile.slug}/"

    def test_byline_links_to_the_author_page_by_name(self):
        """Bylines on the briefing page and in lists name the author and lead to their page, never their login."""
        for url in (self.published.get_absolute_url(), "/", "/search/?q=transit"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertContains(response, f'<a href="{self.url}" rel="author">{self.profile.name}</a>', html=True)
                self.assertNotContains(response, self.analyst.username)

    def test_author_page_lists_only_published_briefings(self):
        """Drafts, briefings in review, scheduled and retracted ones never show on an author page."""
        response = self.client.get(self.url)
        self.assertContains(response, f"<h1>{self.profile.name}</h1>", html=True)
        self.assertContains(response, "Covers energy from Baku &amp; Tbilisi.")
        self.assertContains(response, "Transit deal signed")
        for hidden in ("Draft about gas", "Review about Moscow", "Scheduled on tariffs", "Retracted on transit"):
            self.assertNotContains(response, hidden)
        self.assertEqual(response.context["paginator"].count, 1)
        self.assertNotContains(response, self.analyst.username)

    def test_author_page_is_paginated(self):
        """An author with a long record gets pages of twenty, newest first."""
        for number in range(20):
            self.newsroom.published([(passage(self.source, 2), "carry gas from the Caspian")], title=f"Gas {number}")
        first, second = self.client.get(self.url), self.client.get(f"{self.url}?page=2")
        self.assertEqual(len(first.context["briefings"]), 20)
        self.assertContains(first, "Gas 19")
        self.assertEqual([b.slug for b in second.context["briefings"]], [self.published.slug])
        self.assertEqual(self.client.get(f"{self.url}?page=3").status_code, 404)

    def test_nobody_without_a_published_briefing_has_a_page(self):
        """An account with only drafts, or a retracted briefing, has no page and no feed: a 404."""
        drafter = make_user("drafter", "Analyst", first_name="Dina", last_name="Draftova")
        make_draft(drafter, [(passage(self.source, 1), QUOTE)])
        retracted_only = Newsroom()
        retracted_only.retracted([(passage(self.source, 1), QUOTE)], title="Gone")
        for user in (drafter, retracted_only.analyst):
            slug = AuthorProfile.for_user(user).slug
            for url in (f"/authors/{slug}/", f"/authors/{slug}/feed/", f"/authors/{slug}/feed/atom/"):
                with self.subTest(url=url):
                    self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.get("/authors/nobody/").status_code, 404)

    def test_a_retraction_does_not_link_to_a_missing_author_page(self):
        """The byline of a retracted briefing names an author without a page, but does not link to a 404."""
        newsroom = Newsroom()
        briefing = newsroom.retracted([(passage(self.source, 1), QUOTE)], title="Gone")
        response = self.client.get(briefing.get_absolute_url())
        profile = newsroom.analyst.author_profile
        self.assertContains(response, f'<p class="byline meta">By {profile.name}</p>', html=True)
        self.assertNotContains(response, f"/authors/{profile.slug}/")
        self.assertNotIn("url", structured_data(response)["author"][0])

    def test_json_ld_person_carries_the_author_page(self):
        """Search engines learn who wrote a briefing and where their page is."""
        response = self.client.get(self.published.get_absolute_url())
        self.assertEqual(
            structured_data(response)["author"],
            [{"@type": "Person", "name": self.profile.name, "url": f"http://testserver{self.url}"}],
        )
        page = structured_data(self.client.get(self.url))
        self.assertEqual(page["mainEntity"]["url"], f"http://testserver{self.url}")
        self.assertEqual(page["mainEntity"]["description"], self.profile.bio)

    def test_author_feeds_list_only_published_work(self):
        """Following an author by RSS or Atom brings their published briefings, each with an update date."""
        for url in (f"{self.url}feed/", f"{self.url}feed/atom/"):
            with self.subTest(url=url):
                parsed = parse(self.client.get(url))
                self.assertEqual([entry.title for entry in parsed.entries], ["Transit deal signed"])
                self.assertEqual(parsed.feed.title, f"Briefings: briefings by {self.profile.name}")
                self.assertTrue(parsed.entries[0].updated_parsed)
                self.assertEqual(parsed.entries[0].author, self.profile.name)
                self.assertNotIn(self.analyst.username, self.client.get(url).content.decode())

    def test_author_page_and_feeds_answer_conditional_gets(self):
        """Readers' browsers and feed readers revalidate author pages cheaply."""
        for url in (self.url, f"{self.url}feed/", f"{self.url}feed/atom/"):
            with self.subTest(url=url):
                etag = self.client.get(url)["ETag"]
                self.assertEqual(self.client.get(url, headers={"if-none-match": etag}).status_code, 304)

    def test_renaming_an_author_retires_cached_pages(self):
        """A new display name shows at once on every page that was cached with the old one."""
        urls = (self.url, self.published.get_absolute_url(), "/", f"{self.url}feed/")
        for url in urls:
            self.client.get(url)
        self.profile.name = "Leyla Mammadova-Aliyeva"
        self.profile.save()
        for url in urls:
            with self.subTest(url=url):
                self.assertContains(self.client.get(url), "Leyla Mammadova-Aliyeva")

    def test_filter_by_author_uses_the_public_slug(self):
        """The author filter's addresses carry the author's slug, and a login name is not a valid choice."""
        response = self.client.get(f"/?author={self.profile.slug}")
        self.assertContains(response, "Transit deal signed")
        self.assertContains(self.client.get(f"/?author={self.analyst.username}"), "Select a valid choice")
        home = self.client.get("/")
        self.assertContains(home, f'<option value="{self.profile.slug}">{self.profile.name}</option>', html=True)
        self.assertNotContains(home, self.analyst.username)


class ProfileTests(TestCase):
    def test_profiles_are_made_when_someone_joins_a_byline(self):
        """Whoever is put in a byline is named by their full name, with a page address made from it."""
        user = make_user("nbr", "Analyst", first_name="Nino", last_name="Beridze")
        other = make_user("nbr2", "Analyst", first_name="Nino", last_name="Beridze")
        make_draft(user, [(passage(make_source(), 1), QUOTE)])
        make_draft(other, [(passage(make_source(), 1), QUOTE)])
        self.assertEqual((user.author_profile.name, user.author_profile.slug), ("Nino Beridze", "nino-beridze"))
        self.assertEqual(AuthorProfile.objects.get(user=other).slug, "nino-beridze-2")

    def test_someone_without_a_name_is_never_named_by_their_login(self):
        """An account with no full name is a "Staff writer" to readers, not its login name."""
        user = make_user("j.smith.login", "Analyst")
        profile = AuthorProfile.for_user(user)
        self.assertEqual(profile.name, "Staff writer")
        self.assertNotIn("smith", profile.slug)

    def test_name_parts_follow_the_account_or_the_display_name(self):
        """Citations split a name into family and given names, keeping particles with the family."""
        user = make_user("vdb", first_name="Jan", last_name="van der Berg")
        profile = AuthorProfile.for_user(user)
        self.assertEqual(profile.name_parts(), ("Jan", "van der Berg"))
        profile.name = "Ilham Əliyev"
        self.assertEqual(profile.name_parts(), ("Ilham", "Əliyev"))
        profile.name = "Plato"
        self.assertEqual(profile.name_parts(), ("", "Plato"))


class ProfileAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.owner = make_user("owner", "Analyst", first_name="Aysel", last_name="Karimova")
        cls.colleague = make_user("colleague", "Editor", first_name="Giorgi", last_name="Kapanadze")
        cls.admin = make_user("root", superuser=True)
        cls.profile = AuthorProfile.for_user(cls.owner)
        cls.url = f"/admin/briefings/authorprofile/{cls.profile.pk}/change/"

    def post(self, user, name):
        self.client.force_login(user)
        return self.client.post(self.url, {"name": name, "bio": "New bio.", "slug": "moved"})

    def test_the_person_renames_themselves_but_keeps_their_address(self):
        """Someone changes how readers see their name; their page's address stays where links point."""
        response = self.post(self.owner, "Aysel K.")
        self.assertEqual(response.status_code, 302)
        self.profile.refresh_from_db()
        self.assertEqual((self.profile.name, self.profile.slug), ("Aysel K.", "aysel-karimova"))

    def test_a_colleague_may_not_rename_someone(self):
        """Even an editor cannot change another person's display name: the object decides, not the role."""
        # Someone else's profile is not even found: the admin sends them back to its index.
        self.assertRedirects(self.post(self.colleague, "Someone Else"), "/admin/")
        self.profile.refresh_from_db()
        self.assertEqual(self.profile.name, "Aysel Karimova")
        self.assertRedirects(self.client.get(self.url), "/admin/")
        self.assertNotContains(self.client.get("/admin/briefings/authorprofile/"), "Aysel Karimova")
        self.assertContains(self.client.get("/admin/briefings/authorprofile/"), "Giorgi Kapanadze")

    def test_an_administrator_renames_anyone_and_may_move_the_page(self):
        response = self.post(self.admin, "Aysel Karimova-Aliyeva")
        self.assertEqual(response.status_code, 302)
        self.profile.refresh_from_db()
        self.assertEqual((self.profile.name, self.profile.slug), ("Aysel Karimova-Aliyeva", "moved"))

    def test_my_profile_is_made_on_first_visit(self):
        """Staff open "my author profile" and find theirs, made from their name if they had none yet."""
        self.client.force_login(self.colleague)
        response = self.client.get("/admin/briefings/authorprofile/my/")
        profile = AuthorProfile.objects.get(user=self.colleague)
        self.assertRedirects(response, f"/admin/briefings/authorprofile/{profile.pk}/change/")
        self.assertEqual(profile.name, "Giorgi Kapanadze")

    def test_visitors_are_sent_to_log_in(self):
        response = self.client.get("/admin/briefings/authorprofile/my/")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/admin/login/"))


class ScheduledAuthorTests(PublicSiteTestCase):
    def test_a_scheduled_briefing_gives_no_page_until_its_time(self):
        """Someone whose only briefing is scheduled has no page before it goes live."""
        newsroom = Newsroom()
        briefing = newsroom.scheduled([(passage(make_source(), 1), QUOTE)], title="Later")
        slug = newsroom.analyst.author_profile.slug
        self.assertEqual(self.client.get(f"/authors/{slug}/").status_code, 404)
        with time_machine.travel(briefing.published_at + datetime.timedelta(minutes=1)):
            self.assertContains(self.client.get(f"/authors/{slug}/"), "Later")
