from django.forms.models import inlineformset_factory
from django.http import QueryDict
from django.test import TestCase

from briefings.forms import CitationForm, CitationFormSet, split_citation_row
from briefings.models import Briefing, Citation

from .factories import cite, make_briefing, make_source, passage

PARAGRAPH = "Azerbaijan has suggested that it could fill the gap by transiting Azerbaijani gas across Ukraine."

Citations = inlineformset_factory(Briefing, Citation, form=CitationForm, formset=CitationFormSet, extra=0)


class CitationFormSetTests(TestCase):
    """The citations posted with a body are checked against its footnote markers, as one set."""

    @classmethod
    def setUpTestData(cls):
        cls.paragraph = passage(make_source(PARAGRAPH), 1)

    def post(self, briefing, rows, initial=0):
        data = {
            "citations-TOTAL_FORMS": str(len(rows)),
            "citations-INITIAL_FORMS": str(initial),
            "citations-MIN_NUM_FORMS": "0",
            "citations-MAX_NUM_FORMS": "1000",
        }
        for index, row in enumerate(rows):
            data.update({f"citations-{index}-{name}": value for name, value in row.items()})
        return Citations(data, instance=briefing, prefix="citations")

    def row(self, label, quote="it could fill the gap", **fields):
        return {"label": label, "order": "0", "passage": str(self.paragraph.pk), "quote": quote, **fields}

    def test_new_citations_satisfy_the_markers(self):
        """Citations added in the same save as their markers are accepted, though none is saved yet."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas]")
        self.assertTrue(self.post(briefing, [self.row("gas")]).is_valid())

    def test_marker_without_a_posted_citation_is_named(self):
        """A marker none of the posted citations answers is refused, naming the marker."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas] And more.[^oil]")
        formset = self.post(briefing, [self.row("gas")])
        self.assertFalse(formset.is_valid())
        self.assertEqual(len(formset.non_form_errors()), 1)
        self.assertIn("[^oil]", formset.non_form_errors()[0])

    def test_posted_citation_without_a_marker_may_wait_to_be_placed(self):
        """A citation the body does not use yet is saved, to be placed later; submitting it is what is refused."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas]")
        formset = self.post(briefing, [self.row("gas"), self.row("transit", "transiting Azerbaijani gas across")])
        self.assertTrue(formset.is_valid(), formset.non_form_errors())

    def test_deleted_citation_no_longer_answers_its_marker(self):
        """A citation marked for deletion in this save leaves its marker without a citation."""
        briefing = make_briefing(body="Gas may come from Baku.[^gas]")
        saved = cite(briefing, self.paragraph, "it could fill the gap", label="gas")
        formset = self.post(briefing, [self.row("gas", id=str(saved.pk), DELETE="on")], initial=1)
        self.assertFalse(formset.is_valid())
        self.assertIn("[^gas]", formset.non_form_errors()[0])


class SplitCitationRowTests(TestCase):
    """The posted rows a "Split into N citations" button makes, checked like any others."""

    @classmethod
    def setUpTestData(cls):
        cls.source = make_source(
            "Министр заявил, что Россия и Азербайджан",
            "подписали декларацию о союзническом взаимодействии",
            "и добавили подробности о транзите.",
            slug="russian-three",
        )

    def test_a_cyrillic_quote_across_three_passages_becomes_three_valid_rows(self):
        """Each passage gets a row with its exact words, the body a marker for each, and every row verifies."""
        briefing = make_briefing(body="Декларация.[^decl]")
        data = QueryDict(mutable=True)
        data.update({
            "body": briefing.body,
            "citations-TOTAL_FORMS": "1", "citations-INITIAL_FORMS": "0",
            "citations-MIN_NUM_FORMS": "0", "citations-MAX_NUM_FORMS": "1000",
            "citations-0-label": "decl", "citations-0-order": "1", "citations-0-passage": "",
            "citations-0-quote": "«Россия и Азербайджан подписали декларацию о союзническом взаимодействии и добавили "
                                 "подробности»",
        })
        split, parts = split_citation_row(data, "citations-0", formset_prefix="citations")
        self.assertEqual(len(parts), 3)
        self.assertEqual(split["citations-TOTAL_FORMS"], "3")
        self.assertEqual(
            [split[f"citations-{index}-quote"] for index in range(3)],
            ["Россия и Азербайджан", "подписали декларацию о союзническом взаимодействии", "и добавили подробности"],
        )
        self.assertEqual(split["body"], "Декларация.[^decl][^decl-2][^decl-3]")
        briefing.body = split["body"]
        formset = Citations(split, instance=briefing, prefix="citations")
        self.assertTrue(formset.is_valid(), formset.errors)
        self.assertEqual(data["citations-TOTAL_FORMS"], "1")  # the posted data itself is left alone
