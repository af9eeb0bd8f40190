"""Plain language: the checker on real examples, the organisation's glossary and rules, the
live check, the report and the API."""

from __future__ import annotations

import json

from django.test import SimpleTestCase

from cairn.core import services as core
from cairn.language import checker, services
from cairn.language.models import GlossaryTerm, JargonRule
from tests.base import PAGE, CairnTestCase

VENDOR = (
    "We will leverage best-of-breed synergies to drive a paradigm shift in our go-to-market "
    "motion, with SD-WAN everywhere and an RPO of four hours."
)
PLAIN = (
    "Customers get an answer in one contact, whether they call, write or walk into a store. "
    "We measure it every month."
)
METHOD = (  # a sentence from the method's own text, which runs long
    "Empower our support teams with seamless, integrated tools that give instant access to "
    "customer history and enable proactive problem-solving, reducing resolution time by 50% "
    "across every channel we serve today."
)


class CheckerTests(SimpleTestCase):
    def kinds(self, result):
        return [(f.kind, f.text) for f in result.findings]

    def test_vendor_speak(self):
        result = checker.check(VENDOR)
        self.assertEqual(
            self.kinds(result)[:6],
            [
                ("jargon", "leverage"),
                ("jargon", "best-of-breed"),
                ("jargon", "synergies"),
                ("jargon", "paradigm shift"),
                ("acronym", "SD-WAN"),
                ("acronym", "RPO"),
            ],
        )
        self.assertEqual(result.findings[0].suggestion, "use")

    def test_plain_text_passes(self):
        result = checker.check(PLAIN)
        self.assertEqual(result.findings, [])
        self.assertGreaterEqual(result.reading_ease, checker.TARGET_EASE)
        self.assertEqual((result.words, result.sentences), (21, 2))

    def test_long_sentences_and_hard_reading(self):
        result = checker.check(METHOD)
        kinds = {f.kind for f in result.findings}
        self.assertIn("long_sentence", kinds)
        self.assertIn("readability", kinds)
        self.assertIn(("jargon", "Empower"), self.kinds(result))
        self.assertIn(("jargon", "seamless"), self.kinds(result))

    def test_glossary_known_acronyms_and_the_organisations_own_words(self):
        text = "The CFO wants the SLA and the ERP in Q3. We must circle the wagons."
        result = checker.check(text, glossary={"sla"}, extra={"circle the wagons": "defend"})
        self.assertEqual(self.kinds(result), [("acronym", "ERP"), ("jargon", "circle the wagons")])
        silenced = checker.check("We leverage our bandwidth.", silenced={"leverage"})
        self.assertEqual(self.kinds(silenced), [("jargon", "bandwidth")])

    def test_phrases_match_across_hyphens_and_case_but_not_inside_words(self):
        result = checker.check("Best of breed and Best-Of-Breed, but not leverageable.")
        self.assertEqual([f.kind for f in result.findings], ["jargon", "jargon"])
        self.assertEqual(checker.check("").findings, [])


class LanguagePageTests(CairnTestCase):
    def test_the_live_check_uses_the_organisations_glossary(self):
        self.login("editor")
        url = self.url("language:check")
        response = self.client.post(
            url, {"description": "Agree the SLA and the RPO."}, HTTP_HX_TRIGGER_NAME="description"
        )
        self.assertNotContains(response, "SLA is not in the glossary")
        self.assertContains(response, "RPO is not in the glossary")
        self.assertContains(response, f"{self.url('language:term_create')}?term=RPO")
        form = self.client.get(self.url("goals:goal_create"))
        self.assertContains(form, f'hx-post="{url}"')
        self.assertContains(form, 'class="plain-check')

    def test_defining_a_term_in_one_click(self):
        self.login("editor")
        page = self.client.get(self.url("language:term_create") + "?term=RPO")
        self.assertContains(page, 'value="RPO"')
        self.client.post(
            self.url("language:term_create"),
            {"term": "RPO", "meaning": "How much recent data we can afford to lose"},
        )
        self.assertTrue(GlossaryTerm.objects.filter(organization=self.org, term="RPO").exists())
        again = self.client.post(self.url("language:term_create"), {"term": "rpo", "meaning": "x"})
        self.assertContains(again, "already in the glossary")

    def test_report_lists_the_hardest_texts_first(self):
        self.goal.description = VENDOR
        self.goal.save()
        self.mission.statement = METHOD
        self.mission.save()
        texts = services.report(self.org)
        self.assertEqual({t.kind for t in texts[:2]}, {"Goal", "IT mission"})
        scores = [t.result.difficulty for t in texts]
        self.assertEqual(scores, sorted(scores, reverse=True))
        self.login("viewer")
        page = self.client.get(self.url("language:report"))
        self.assertContains(page, "try “use”")

    def test_silencing_a_built_in_word(self):
        JargonRule.objects.create(organization=self.org, phrase="leverage", silenced=True)
        result = services.check(self.org, "We leverage data.")
        self.assertEqual(result.findings, [])

    def test_api_check_and_glossary(self):
        _, key = core.create_api_token(self.editor, "t")
        response = self.client.post(
            "/api/v1/orgs/acme/plain-language/check",
            json.dumps({"text": VENDOR}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        data = response.json()
        self.assertEqual(
            data["findings"][0],
            {
                "kind": "jargon",
                "text": "leverage",
                "start": 8,
                "message": "“leverage” is jargon",
                "suggestion": "use",
            },
        )
        self.assertEqual(data["target_reading_ease"], checker.TARGET_EASE)

    def test_query_counts(self):
        self.login("viewer")
        self.assertQueryCount(PAGE + 2, self.client.get, self.url("language:glossary"))
        self.assertQueryCount(PAGE + 9, self.client.get, self.url("language:report"))
