"""REST endpoints of plain language: the check (text in, findings out) and the glossary."""

from ninja import Field, Router, Schema

from cairn.api.common import In, RowOut, Version, crud, membership_for
from cairn.core.models import Role
from cairn.language import checker, services
from cairn.language.forms import GlossaryTermForm
from cairn.language.models import GlossaryTerm

router = Router(tags=["Plain language"])


class CheckIn(In):
    text: str = Field(..., max_length=20000)


class FindingOut(Schema):
    kind: str = Field(..., description="jargon, acronym, long_sentence or readability")
    text: str
    start: int = Field(..., description="Where it starts in the text (characters).")
    message: str
    suggestion: str


class CheckOut(Schema):
    findings: list[FindingOut]
    words: int
    sentences: int
    reading_ease: float | None = Field(..., description="Flesch: 0 very hard, 100 very easy.")
    target_reading_ease: int = checker.TARGET_EASE


@router.post(
    "/orgs/{org}/plain-language/check",
    response=CheckOut,
    operation_id="check_plain_language",
    summary="Check a text for jargon, undefined acronyms and readability",
    description=checker.RULE,
)
def check(request, org: str, payload: CheckIn):
    membership = membership_for(request, org, Role.EDITOR)
    result = services.check(membership.organization, payload.text)
    return {
        "findings": result.findings,
        "words": result.words,
        "sentences": result.sentences,
        "reading_ease": result.reading_ease,
    }


class TermIn(In):
    term: str = Field(..., min_length=1, max_length=60)
    meaning: str = Field(..., min_length=1, max_length=300)
    version: int | None = Version


class TermOut(RowOut):
    term: str
    meaning: str


crud(
    router,
    path="/orgs/{org}/glossary",
    model=GlossaryTerm,
    form_class=GlossaryTermForm,
    schema_in=TermIn,
    schema_out=TermOut,
    queryset=lambda: GlossaryTerm.objects.all(),
)
