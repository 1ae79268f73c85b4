"""Cite this briefing: the formatted citation, the citation meta tags, and the CSL-JSON, BibTeX and RIS downloads
of briefings and sources, each read back by the library a reference manager or a LaTeX user would rely on."""
import datetime
import json
import warnings

import bibtexparser
import rispy
import time_machine
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from django.test import SimpleTestCase

from briefings.tests.factories import Newsroom, make_source, passage
from public import citations

from .base import PublicSiteTestCase

PUBLISHED = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
# Every character LaTeX gives a meaning to, and Azerbaijani and Russian letters, in one title.
AWKWARD_TITLE = "Ərəb & Ağdam: 50% of $5 #1 a_b {x} ~ \\ — Москва «Газпром» İlham"
AZERBAIJANI_PUBLISHER = "Azərbaycan Xəbərləri"


def read_csl(content):
    """The items and their formatted references, failing on any warning citeproc-py gives."""
    items = json.loads(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = CiteProcJSON(items)
        bibliography = CitationStylesBibliography(
            CitationStylesStyle(citations.STYLE, validate=False), source, formatter.plain
        )
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        references = [str(entry) for entry in bibliography.bibliography()]
    return items, references


def read_bibtex(content):
    """Entries as a LaTeX user's tools read them: no failed block; LaTeX decoded, and names split into parts.

    Returns (entries with decoded text, entries with split names, entries as written).
    """
    decoded = bibtexparser.parse_string(content, append_middleware=[LatexDecodingMiddleware()])
    named = bibtexparser.parse_string(content, append_middleware=[SeparateCoAuthors(), SplitNameParts()])
    raw = bibtexparser.parse_string(content)
    for library in (decoded, named, raw):
        assert not library.failed_blocks, library.failed_blocks
    return decoded.entries, named.entries, raw.entries


def read_ris(content):
    """Entries as rispy reads them; a tag it does not know would land under ``unknown_tag``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        entries = rispy.loads(content)
    assert all("unknown_tag" not in entry for entry in entries), entries
    return entries


class BriefingCitationTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.newsroom = Newsroom()
        cls.first = make_source(
            title="Baku signs transit deal", publisher="Caucasus Wire", authors="Aysel Karimova, Jan van der Berg",
            published_on=datetime.date(2026, 2, 27), url="https://news.example.org/transit?a=1&b=2",
        )
        cls.second = make_source(
            title=AWKWARD_TITLE, publisher=AZERBAIJANI_PUBLISHER, authors="İlham Əliyev; Сергей Иванов; RFE/RL staff",
            published_on=datetime.date(2026, 1, 5),
        )
        cls.untitled = make_source(title="", publisher="", authors="")
        with time_machine.travel(PUBLISHED, tick=False):
            cls.briefing = cls.newsroom.published(
                [
                    (passage(cls.second, 1), "Officials in Baku"),
                    (passage(cls.first, 1), "signed a transit agreement"),
                    (passage(cls.second, 3), "Moscow reacted cautiously"),
                ],
                title="Baku & Moscow: a <deal>",
                dek="What the agreement changes.",
                body="Baku.[^n1] Signed.[^n2] Moscow.[^n3]",
            )
        cls.analyst = cls.newsroom.analyst
        cls.base = f"/briefings/{cls.briefing.slug}"

    def test_cite_box_shows_a_formatted_citation_and_downloads(self):
        """Readers find a ready-made reference in the house style, with the downloads beside it."""
        response = self.client.get(self.briefing.get_absolute_url())
        self.assertContains(response, "Cite this briefing")
        self.assertContains(
            response,
            f"{self.analyst.last_name}, N. (2026) “Baku &amp; Moscow: a &lt;deal&gt;”, <i>Briefings</i>, 2 March. "
            f"Available at: http://testserver{self.briefing.get_absolute_url()}.",
        )
        for extension in ("bib", "ris", "json"):
            self.assertContains(response, f'href="{self.base}/cite.{extension}"')
            self.assertContains(response, f'href="{self.base}/sources.{extension}"')
        self.assertNotContains(response, "<deal>")

    def test_head_carries_the_tags_zotero_and_scholar_read(self):
        """Reference managers and Google Scholar pick up title, author, date, publisher and address."""
        response = self.client.get(self.briefing.get_absolute_url())
        for name, content in (
            ("citation_title", "Baku &amp; Moscow: a &lt;deal&gt;"),
            ("citation_author", f"{self.analyst.last_name}, Nino"),
            ("citation_publication_date", "2026/03/02"),
            ("citation_publisher", "Briefings"),
            ("citation_public_url", f"http://testserver{self.briefing.get_absolute_url()}"),
        ):
            with self.subTest(name=name):
                self.assertContains(response, f'<meta name="{name}" content="{content}">')

    def test_csl_json_renders_in_citeproc_without_warnings(self):
        """The CSL-JSON download loads in citeproc-py as it is, with the author's names split."""
        response = self.client.get(f"{self.base}/cite.json")
        self.assertEqual(response["Content-Type"], "application/vnd.citationstyles.csl+json; charset=utf-8")
        self.assertIn(f'filename="{self.briefing.slug}.json"', response["Content-Disposition"])
        (item,), (reference,) = read_csl(response.content)
        self.assertEqual(item["author"], [{"family": self.analyst.last_name, "given": "Nino"}])
        self.assertEqual(item["issued"], {"date-parts": [[2026, 3, 2]]})
        self.assertEqual(item["container-title"], "Briefings")
        self.assertEqual(item["URL"], f"http://testserver{self.briefing.get_absolute_url()}")
        self.assertIn("Baku & Moscow: a <deal>", reference)

    def test_bibtex_loads_in_bibtexparser(self):
        """The BibTeX download parses with no failed block, the author split, title, journal, date and URL kept."""
        response = self.client.get(f"{self.base}/cite.bib")
        self.assertEqual(response["Content-Type"], "application/x-bibtex; charset=utf-8")
        (entry,), (named,), (raw,) = read_bibtex(response.content.decode())
        self.assertEqual(entry.entry_type, "article")
        self.assertEqual(entry.key, self.briefing.slug)
        self.assertEqual(entry["title"], "Baku & Moscow: a <deal>")
        self.assertEqual((named["author"][0].last, named["author"][0].first), ([self.analyst.last_name], ["Nino"]))
        self.assertEqual((entry["journal"], entry["year"], entry["month"], entry["date"]),
                         ("Briefings", "2026", "3", "2026-03-02"))
        self.assertEqual(raw["url"], f"http://testserver{self.briefing.get_absolute_url()}")

    def test_ris_loads_in_rispy(self):
        """The RIS download parses strictly, with type, names, dates, container and address."""
        response = self.client.get(f"{self.base}/cite.ris")
        self.assertEqual(response["Content-Type"], "application/x-research-info-systems; charset=utf-8")
        (entry,) = read_ris(response.content.decode())
        self.assertEqual(entry["type_of_reference"], "NEWS")
        self.assertEqual(entry["title"], "Baku & Moscow: a <deal>")
        self.assertEqual(entry["authors"], [f"{self.analyst.last_name}, Nino"])
        self.assertEqual((entry["year"], entry["date"]), ("2026", "2026/03/02/"))
        self.assertEqual((entry["secondary_title"], entry["publisher"]), ("Briefings", "Briefings"))
        self.assertEqual(entry["urls"], [f"http://testserver{self.briefing.get_absolute_url()}"])

    def test_sources_export_in_footnote_order_each_once(self):
        """The sources download holds every quoted source once, in the order of their first footnote."""
        items, references = read_csl(self.client.get(f"{self.base}/sources.json").content)
        self.assertEqual([item["id"] for item in items], [f"source-{self.second.slug}", f"source-{self.first.slug}"])
        self.assertEqual(len(references), 2)
        entries, _named, _raw = read_bibtex(self.client.get(f"{self.base}/sources.bib").content.decode())
        self.assertEqual([entry.key for entry in entries], [f"source-{self.second.slug}", f"source-{self.first.slug}"])
        ris = read_ris(self.client.get(f"{self.base}/sources.ris").content.decode())
        self.assertEqual([entry["id"] for entry in ris], [f"source-{self.second.slug}", f"source-{self.first.slug}"])

    def test_source_authors_are_split_where_the_metadata_allows(self):
        """People get family and given names (particles kept with the family); organisations stay whole."""
        first = json.loads(self.client.get(f"/sources/{self.first.slug}/cite.json").content)[0]
        self.assertEqual(first["author"], [{"family": "Karimova", "given": "Aysel"},
                                           {"family": "van der Berg", "given": "Jan"}])
        second = json.loads(self.client.get(f"/sources/{self.second.slug}/cite.json").content)[0]
        self.assertEqual(second["author"], [{"family": "Əliyev", "given": "İlham"},
                                            {"family": "Иванов", "given": "Сергей"},
                                            {"literal": "RFE/RL staff"}])
        _decoded, (named,), _raw = read_bibtex(self.client.get(f"/sources/{self.first.slug}/cite.bib").content.decode())
        jan = named["author"][1]
        self.assertEqual((jan.first, jan.von, jan.last), (["Jan"], ["van", "der"], ["Berg"]))

    def test_bibtex_special_characters_and_non_ascii_round_trip(self):
        """LaTeX's special characters are escaped, Azerbaijani and Cyrillic kept, and all read back unchanged."""
        content = self.client.get(f"/sources/{self.second.slug}/cite.bib").content.decode()
        self.assertIn(r"\& Ağdam: 50\% of \$5 \#1 a\_b \{x\}", content)
        self.assertIn("Москва «Газпром»", content)
        (entry,), (named,), _raw = read_bibtex(content)
        self.assertEqual(entry["title"], AWKWARD_TITLE)
        self.assertEqual(entry["journal"], AZERBAIJANI_PUBLISHER)
        names = [(name.first, name.last) for name in named["author"]]
        self.assertEqual(names, [(["İlham"], ["Əliyev"]), (["Сергей"], ["Иванов"]), ([], ["{RFE/RL staff}"])])

    def test_source_exports_carry_dates_urls_and_publishers(self):
        """A source's download names its outlet, date and original address in every format."""
        (item,), _ = read_csl(self.client.get(f"/sources/{self.first.slug}/cite.json").content)
        self.assertEqual((item["container-title"], item["publisher"]), ("Caucasus Wire", "Caucasus Wire"))
        self.assertEqual(item["issued"], {"date-parts": [[2026, 2, 27]]})
        self.assertEqual(item["URL"], "https://news.example.org/transit?a=1&b=2")
        (entry,) = read_ris(self.client.get(f"/sources/{self.first.slug}/cite.ris").content.decode())
        self.assertEqual((entry["date"], entry["urls"]), ("2026/02/27/", ["https://news.example.org/transit?a=1&b=2"]))
        _decoded, _named, (raw,) = read_bibtex(self.client.get(f"/sources/{self.first.slug}/cite.bib").content.decode())
        self.assertEqual(raw["url"], "https://news.example.org/transit?a=1&b=2")

    def test_a_source_without_metadata_still_exports(self):
        """A source with no title, outlet or author is cited by its opening words and its page here."""
        for extension, read in (("json", lambda c: read_csl(c)[0]), ("ris", read_ris)):
            with self.subTest(extension=extension):
                response = self.client.get(f"/sources/{self.untitled.slug}/cite.{extension}")
                self.assertEqual(len(read(response.content.decode())), 1)
        bib = self.client.get(f"/sources/{self.untitled.slug}/cite.bib").content.decode()
        (entry,), _named, _raw = read_bibtex(bib)
        self.assertEqual(entry.entry_type, "online")
        self.assertTrue(entry["title"].startswith("Officials in Baku"))

    def test_exports_answer_conditional_gets(self):
        """Reference managers that poll a download revalidate it cheaply."""
        for url in (f"{self.base}/cite.bib", f"{self.base}/sources.ris", f"/sources/{self.first.slug}/cite.json"):
            with self.subTest(url=url):
                etag = self.client.get(url)["ETag"]
                self.assertEqual(self.client.get(url, headers={"if-none-match": etag}).status_code, 304)

    def test_unknown_formats_and_sources_are_404(self):
        for url in (f"{self.base}/cite.xml", f"{self.base}/cite.bib/", "/sources/no-such-source/cite.bib",
                    "/briefings/no-such-briefing/sources.json"):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)


class RetractedCitationTests(PublicSiteTestCase):
    @classmethod
    def setUpTestData(cls):
        cls.briefing = Newsroom().retracted([(passage(make_source(), 1), "signed a transit agreement")],
                                            title="Transit deal")
        cls.base = f"/briefings/{cls.briefing.slug}"

    def test_a_retracted_briefing_is_cited_as_retracted(self):
        """Whoever cites a retracted briefing says so: its title is marked in every format, as on its page."""
        (item,), (reference,) = read_csl(self.client.get(f"{self.base}/cite.json").content)
        self.assertEqual((item["title"], item["status"]), ("Retracted: Transit deal", "retracted"))
        self.assertIn("Retracted: Transit deal", reference)
        (entry,), _named, _raw = read_bibtex(self.client.get(f"{self.base}/cite.bib").content.decode())
        self.assertEqual((entry["title"], entry["note"]), ("Retracted: Transit deal", "Retracted"))
        (ris,) = read_ris(self.client.get(f"{self.base}/cite.ris").content.decode())
        self.assertEqual((ris["title"], ris["notes"]), ("Retracted: Transit deal", ["Retracted"]))
        self.assertContains(self.client.get(self.briefing.get_absolute_url()),
                            '<meta name="citation_title" content="Retracted: Transit deal">')


class NameTests(SimpleTestCase):
    def test_source_names(self):
        """Lists of names in a source's byline become people or organisations, never half of each."""
        self.assertEqual(citations.source_names("Aysel Karimova and Nino Beridze"),
                         [{"family": "Karimova", "given": "Aysel"}, {"family": "Beridze", "given": "Nino"}])
        self.assertEqual(citations.source_names("Reuters"), [{"literal": "Reuters"}])
        self.assertEqual(citations.source_names("Eurasia Daily Monitor staff"),
                         [{"literal": "Eurasia Daily Monitor staff"}])
        self.assertEqual(citations.source_names(""), [])
