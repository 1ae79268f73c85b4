"""Nothing unpublished reaches readers, on any surface of the public site.

Each hidden briefing has a title word, a tag, an author and a cited passage of
its own, so that any trace of it (in a list, a count, a choice of the filter
form, a feed, the sitemap, the API, search or "cited by") would show.
"""
from briefings import workflow
from briefings.models import Briefing, Tag
from briefings.tests.factories import Newsroom, make_source, passage

from .base import PublicSiteTestCase

SECRET_ARTICLE = [
    "A confidential memo described the corridor financing in detail.",
    "The finance ministry declined to comment on the memo.",
    "Engineers questioned the timetable for the second pipeline.",
    "Observers in Yerevan called the plan premature and costly.",
]
HIDDEN_STATES = ("draft", "in_review", "changes_requested", "approved", "scheduled", "unscheduled")


class LeakTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        public_newsroom = Newsroom()
        cls.public_source = make_source(title="Public article")
        cls.visible = public_newsroom.published(
            [(passage(cls.public_source, 1), "signed a transit agreement")], title="Visible briefing", tags=["Open"]
        )
        cls.hidden = {}
        cls.sources = {}
        for state in HIDDEN_STATES:
            newsroom = Newsroom()
            slug = f"secret-{state}".replace("_", "-")
            source = make_source(*SECRET_ARTICLE, title=f"Article only {state} cites", slug=slug)
            citations = [(passage(source, 2), "declined to comment on the memo")]
            options = {
                "title": f"Quixotic{state.replace('_', '')} briefing",
                "body": f"Zephyr{state.replace('_', '')} claims.[^n1]",
                "tags": [f"Hidden {state}"],
            }
            if state == "unscheduled":
                briefing = newsroom.scheduled(citations, **options)
                workflow.unpublish(briefing, newsroom.editor)
            else:
                briefing = getattr(newsroom, state)(citations, **options)
            cls.hidden[state] = (Briefing.objects.get(pk=briefing.pk), newsroom.analyst)
            cls.sources[state] = source

    def surfaces(self):
        """Every public page, feed and API answer that lists briefings, concatenated."""
        urls = [
            "/", "/?page=1", "/tags/", "/tags/open/", "/search/?q=briefing", "/corrections/",
            "/feed/", "/feed/atom/", "/corrections/feed/", "/corrections/feed/atom/", "/tags/open/feed/",
            "/sitemap.xml", "/api/briefings/", "/sources/", self.public_source.get_absolute_url(),
            f"/sources/{self.public_source.slug}/feed/", self.visible.get_absolute_url(),
            f"/api/briefings/{self.visible.slug}/", f"/api/briefings/{self.visible.slug}/annotations/",
            f"/briefings/{self.visible.slug}/changes/",
        ]
        author = self.visible.authors.get().author_profile.get_absolute_url()
        urls += [author, f"{author}feed/", f"{author}feed/atom/"]
        for extension in ("json", "bib", "ris"):
            urls += [
                f"/briefings/{self.visible.slug}/cite.{extension}",
                f"/briefings/{self.visible.slug}/sources.{extension}",
                f"/sources/{self.public_source.slug}/cite.{extension}",
            ]
        for source in self.sources.values():
            urls += [source.get_absolute_url(), f"/sources/{source.slug}/feed/", f"/sources/{source.slug}/feed/atom/",
                     f"/sources/{source.slug}/cite.ris"]
        pages = {}
        for url in urls:
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200, url)
            pages[url] = response.content.decode()
        return pages

    def test_the_visible_briefing_is_visible(self):
        """The checks below would catch a leak: the published briefing shows everywhere they look."""
        pages = self.surfaces()
        for url in ("/", "/tags/open/", "/feed/", self.public_source.get_absolute_url()):
            self.assertIn("Visible briefing", pages[url], url)
        for url in ("/sitemap.xml", "/api/briefings/"):
            self.assertIn(self.visible.slug, pages[url], url)

    def test_no_surface_mentions_an_unpublished_briefing(self):
        """Titles, words, tags, authors and slugs of unpublished briefings appear nowhere."""
        pages = self.surfaces()
        for state, (briefing, author) in self.hidden.items():
            traces = [
                f"Quixotic{state.replace('_', '')}",
                f"Zephyr{state.replace('_', '')}",
                f"Hidden {state}",
                f"hidden-{state.replace('_', '-')}",
                briefing.slug,
                author.username,
                author.last_name,
            ]
            for url, content in pages.items():
                for trace in traces:
                    with self.subTest(state=state, url=url, trace=trace):
                        self.assertNotIn(trace, content)

    def test_pages_of_unpublished_briefings_are_404(self):
        for state, (briefing, _author) in self.hidden.items():
            for url in (
                briefing.get_absolute_url(),
                f"/api/briefings/{briefing.slug}/",
                f"/api/briefings/{briefing.slug}/annotations/",
                f"/briefings/{briefing.slug}/changes/",
                f"/tags/hidden-{state.replace('_', '-')}/",
                f"/tags/hidden-{state.replace('_', '-')}/feed/",
            ):
                with self.subTest(state=state, url=url):
                    self.assertEqual(self.client.get(url).status_code, 404)

    def test_authors_and_exports_of_unpublished_briefings_are_404(self):
        """Someone with nothing published has no page or feed, and no unpublished briefing can be downloaded."""
        for state, (briefing, author) in self.hidden.items():
            profile = author.author_profile.get_absolute_url()
            urls = [profile, f"{profile}feed/", f"{profile}feed/atom/"]
            for extension in ("json", "bib", "ris"):
                urls += [f"/briefings/{briefing.slug}/cite.{extension}",
                         f"/briefings/{briefing.slug}/sources.{extension}"]
            for url in urls:
                with self.subTest(state=state, url=url):
                    self.assertEqual(self.client.get(url).status_code, 404)

    def test_search_finds_no_unpublished_briefing(self):
        for state in self.hidden:
            for words in (f"Quixotic{state.replace('_', '')}", f"Zephyr{state.replace('_', '')}"):
                with self.subTest(state=state, words=words):
                    response = self.client.get(f"/search/?q={words}")
                    self.assertEqual(response.context["briefings"].paginator.count, 0)
                    self.assertEqual(self.client.get(f"/?q={words}").context["paginator"].count, 0)

    def test_filters_refuse_what_only_unpublished_briefings_use(self):
        """A hidden tag, source or author is not a valid choice, so not even a count leaks."""
        for state, (_briefing, author) in self.hidden.items():
            for query in (
                f"tag=hidden-{state.replace('_', '-')}",
                f"source={self.sources[state].slug}",
                f"author={author.author_profile.slug}",
            ):
                with self.subTest(state=state, query=query):
                    self.assertContains(self.client.get(f"/?{query}"), "Select a valid choice")
                    self.assertEqual(self.client.get(f"/api/briefings/?{query}").status_code, 400)
                    self.assertEqual(self.client.get(f"/feed/?{query}").status_code, 404)

    def test_tag_counts_ignore_unpublished_briefings(self):
        """A tag shared by a published and a draft briefing counts one."""
        Newsroom().draft([(passage(self.public_source, 2), "carry gas from the Caspian")], tags=["Open"])
        response = self.client.get("/tags/")
        self.assertContains(response, '<td><a href="/tags/open/">Open</a></td><td>1</td>', html=True)
        self.assertEqual(self.client.get("/tags/open/").context["paginator"].count, 1)

    def test_quotes_of_unpublished_briefings_are_never_highlighted(self):
        for state, (briefing, _author) in self.hidden.items():
            citation = briefing.citations.get()
            with self.subTest(state=state):
                response = self.client.get(f"{self.sources[state].get_absolute_url()}?cite={citation.pk}")
                self.assertNotContains(response, "<mark")
                self.assertNotContains(response, "Cited by")

    def test_a_published_briefings_pending_revision_stays_hidden(self):
        """Edits under review show nowhere, even though the briefing itself is public."""
        newsroom = Newsroom()
        briefing = newsroom.published(
            [(passage(self.public_source, 3), "Moscow reacted cautiously")], title="Original wording"
        )
        briefing.title = "Quibblesome rewording"
        briefing.body = "Quibblesome claims.[^n1]"
        briefing.save()
        workflow.record_edit(briefing, newsroom.analyst)
        workflow.submit(briefing, newsroom.analyst)
        for url, content in self.surfaces().items():
            with self.subTest(url=url):
                self.assertNotIn("Quibblesome", content)
        for url in (briefing.get_absolute_url(), f"/api/briefings/{briefing.slug}/", "/feed/", "/search/?q=original",
                    f"/briefings/{briefing.slug}/cite.json", f"/briefings/{briefing.slug}/cite.bib",
                    f"/briefings/{briefing.slug}/cite.ris"):
            with self.subTest(url=url):
                content = self.client.get(url).content.decode()
                self.assertIn("Original wording", content)
                self.assertNotIn("Quibblesome", content)

    def edit_tags_in_review(self, *, add=(), remove=()):
        """A published briefing tagged "Steady", whose working copy changes its tags and goes to review."""
        newsroom = Newsroom()
        briefing = newsroom.published(
            [(passage(self.public_source, 2), "carry gas from the Caspian")], title="Retagged briefing",
            tags=["Steady"],
        )
        briefing.tags.add(*add)
        briefing.tags.remove(*remove)
        workflow.record_edit(briefing, newsroom.analyst)
        workflow.submit(briefing, newsroom.analyst)
        return newsroom, briefing

    def tag_surfaces(self, briefing):
        """Every public answer that shows tags: pages, lists, counts, filter choices, feeds, API, sitemap."""
        urls = [
            "/", "/tags/", "/feed/", "/feed/atom/", "/sitemap.xml", "/api/briefings/", "/search/?q=retagged",
            briefing.get_absolute_url(), f"/api/briefings/{briefing.slug}/",
            f"/sources/{self.public_source.slug}/feed/",
        ]
        return {url: self.client.get(url).content.decode() for url in urls}

    def test_a_tag_added_in_a_pending_edit_stays_hidden(self):
        """A tag added to a live briefing shows nowhere until that edit is published."""
        self.edit_tags_in_review(add=["Pendingtopic"])
        for url, content in self.tag_surfaces(Briefing.objects.get(title="Retagged briefing")).items():
            with self.subTest(url=url):
                self.assertNotIn("Pendingtopic", content)
                self.assertNotIn("pendingtopic", content)
        self.assertEqual(self.client.get("/tags/pendingtopic/").status_code, 404)
        self.assertEqual(self.client.get("/tags/pendingtopic/feed/").status_code, 404)
        self.assertContains(self.client.get("/?tag=pendingtopic"), "Select a valid choice")
        self.assertEqual(self.client.get("/api/briefings/?tag=pendingtopic").status_code, 400)

    def test_a_tag_removed_in_a_pending_edit_stays_visible(self):
        """Readers keep the published tags while an edit that drops one is in review."""
        _newsroom, briefing = self.edit_tags_in_review(remove=["Steady"])
        self.assertContains(self.client.get(briefing.get_absolute_url()), 'href="/tags/steady/"')
        self.assertContains(
            self.client.get("/tags/"), '<td><a href="/tags/steady/">Steady</a></td><td>1</td>', html=True
        )
        self.assertEqual(self.client.get("/tags/steady/").context["paginator"].count, 1)
        self.assertEqual(self.client.get("/?tag=steady").context["paginator"].count, 1)

    def test_a_republished_tag_appears_everywhere(self):
        """Once the edit is published, its new tag is on the page, the tag pages, the feeds, the API and the sitemap."""
        newsroom, briefing = self.edit_tags_in_review(add=["Pendingtopic"])
        workflow.approve(briefing, newsroom.editor)
        workflow.publish(briefing, newsroom.editor, minor=True)
        pages = self.tag_surfaces(briefing)
        for url in ("/", "/feed/", "/feed/atom/", briefing.get_absolute_url(), f"/api/briefings/{briefing.slug}/",
                    "/api/briefings/", f"/sources/{self.public_source.slug}/feed/"):
            with self.subTest(url=url):
                self.assertIn("Pendingtopic", pages[url])
        self.assertIn("/tags/pendingtopic/", pages["/sitemap.xml"])
        self.assertContains(
            self.client.get("/tags/"), '<td><a href="/tags/pendingtopic/">Pendingtopic</a></td><td>1</td>', html=True
        )
        self.assertContains(self.client.get("/tags/pendingtopic/"), "Retagged briefing")
        self.assertContains(self.client.get("/tags/pendingtopic/feed/"), "Retagged briefing")
        self.assertEqual(self.client.get("/?tag=pendingtopic").context["paginator"].count, 1)

    def test_a_tag_merge_reaches_the_published_revision_at_once(self):
        """Merging a tag moves live briefings to the kept tag without a new publication; the old address leads there."""
        self.edit_tags_in_review(add=["Pendingtopic"])
        steady, kept = Tag.objects.get(name="Steady"), Tag.objects.create(name="Constant")
        kept.merge([steady])
        self.assertRedirects(self.client.get("/tags/steady/"), "/tags/constant/", status_code=301)
        self.assertContains(self.client.get("/tags/constant/"), "Retagged briefing")
        self.assertContains(self.client.get(Briefing.objects.get(title="Retagged briefing").get_absolute_url()),
                            'href="/tags/constant/"')
        self.assertNotContains(self.client.get("/tags/"), "Pendingtopic")

    def test_retracted_briefing_leaves_every_list_but_keeps_its_page(self):
        newsroom = Newsroom()
        retracted = newsroom.retracted(
            [(passage(self.public_source, 4), "expect tariffs to fall")], title="Withdrawn analysis", tags=["Withdrawn"]
        )
        for url in ("/", "/tags/", "/feed/", "/feed/atom/", "/sitemap.xml", "/api/briefings/",
                    self.public_source.get_absolute_url(), "/search/?q=withdrawn"):
            with self.subTest(url=url):
                content = self.client.get(url).content.decode()
                self.assertNotIn("Withdrawn analysis", content)
                self.assertNotIn(retracted.slug, content)
        self.assertEqual(self.client.get("/tags/withdrawn/").status_code, 404)
        self.assertContains(self.client.get(retracted.get_absolute_url()), "This briefing has been retracted")
        self.assertContains(self.client.get("/corrections/"), "Withdrawn analysis")
