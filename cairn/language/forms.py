from cairn.core.forms import OrgModelForm
from cairn.language.models import GlossaryTerm, JargonRule


class GlossaryTermForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = GlossaryTerm
        fields = ("term", "meaning")
        help_texts = {
            "term": "As written in texts, e.g. SLA.",
            "meaning": "In words a CFO understands, e.g. the response times a supplier promises.",
        }

    def clean_term(self):
        term = self.cleaned_data["term"].strip()
        others = GlossaryTerm.objects.filter(organization=self.organization, term__iexact=term)
        if others.exclude(pk=self.instance.pk).exists():
            from django import forms

            raise forms.ValidationError(f"“{term}” is already in the glossary.")
        return term


class JargonRuleForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = JargonRule
        fields = ("phrase", "alternative", "silenced")

    def clean_phrase(self):
        return self.cleaned_data["phrase"].strip().lower()
