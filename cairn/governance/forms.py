from django import forms
from django.utils import timezone

from cairn.core.forms import OrgModelForm, StyledForm
from cairn.core.models import Membership
from cairn.goals.forms import DATE, not_in_future
from cairn.governance.models import (
    Action,
    AgendaItem,
    Change,
    Committee,
    CommitteeMember,
    Decision,
    Meeting,
    Raci,
    Review,
    Roadblock,
    Visit,
)
from cairn.portfolio.models import CANDIDATE_STATUSES, Initiative, Status

CHECKBOXES = forms.CheckboxSelectMultiple


def _committee(org):
    """The organisation's committee, made (with the defaults) by its first member or meeting."""
    from cairn.governance.services import saved_committee

    return saved_committee(org, actor=None)


class CommitteeForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Committee
        fields = ("name", "purpose", "rhythm")
        widgets = {"purpose": forms.Textarea(attrs={"rows": 2})}


class CommitteeMemberForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = CommitteeMember
        fields = ("membership", "name", "role", "side", "is_chair")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = Membership.objects.filter(
            organization=self.organization
        ).select_related("user")
        self.fields["membership"].label_from_instance = lambda m: (
            m.user.get_full_name() or m.user.get_username()
        )

    def clean(self):
        cleaned = super().clean()
        membership, name = cleaned.get("membership"), cleaned.get("name", "").strip()
        if not membership and not name:
            self.add_error("name", "Choose a person with access to Cairn, or give a name.")
        if membership and not name:
            cleaned["name"] = membership.user.get_full_name() or membership.user.get_username()
            self.instance.name = cleaned["name"]
        if membership and not cleaned.get("role") and membership.job_title:
            cleaned["role"] = membership.job_title
            self.instance.role = membership.job_title
        return cleaned

    def save(self, commit=True):
        member = super().save(commit=False)
        if not member.committee_id:
            member.committee = _committee(self.organization)
        if commit:
            member.save()
            if member.is_chair:  # one chair: the new one replaces the old
                CommitteeMember.objects.filter(committee=member.committee).exclude(
                    pk=member.pk
                ).update(is_chair=False)
        return member


class MeetingForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Meeting
        fields = ("title", "held_on", "attendees", "minutes")
        widgets = {
            "held_on": DATE,
            "attendees": CHECKBOXES,
            "minutes": forms.Textarea(attrs={"rows": 8}),
        }
        labels = {"attendees": "Who came"}

    def clean(self):
        cleaned = super().clean()
        day = cleaned.get("held_on")
        if day and day > timezone.localdate():  # planned: nothing of it is recorded as held yet
            if cleaned.get("minutes", "").strip():
                self.add_error("minutes", "Minutes are written once the meeting is held.")
            if cleaned.get("attendees"):
                self.add_error("attendees", "Who came is recorded once the meeting is held.")
        return cleaned

    def save(self, commit=True):
        meeting = super().save(commit=False)
        if not meeting.committee_id:
            meeting.committee = _committee(self.organization)
        if commit:
            meeting.save()
            self.save_m2m()
        return meeting


class AgendaItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ("title", "detail")
        widgets = {"detail": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from cairn.core.forms import style_fields

        style_fields(self)


class ActionForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Action
        fields = ("meeting", "description", "owner", "due", "done")
        widgets = {"due": DATE}


class RoadblockForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Roadblock
        fields = ("initiative", "description", "since", "who_can_remove")
        widgets = {"since": DATE}


class DecisionForm(OrgModelForm):
    """A decision; approving, rejecting or deferring changes its initiatives (saved by
    ``services.decide``, not by this form)."""

    class Meta(OrgModelForm.Meta):
        model = Decision
        fields = (
            "title",
            "decided_on",
            "meeting",
            "change",
            "initiatives",
            "context",
            "options",
            "outcome",
        )
        widgets = {
            "decided_on": DATE,
            "initiatives": CHECKBOXES,
            "context": forms.Textarea(attrs={"rows": 3}),
            "options": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        open_ = [*CANDIDATE_STATUSES, Status.IN_PROGRESS]
        if not self.instance.pk:
            self.fields["initiatives"].queryset = self.fields["initiatives"].queryset.filter(
                status__in=open_
            )
        else:  # a recorded decision's effect is history: only its words can change
            for name in ("change", "initiatives"):
                self.fields[name].disabled = True

    def clean_decided_on(self):
        return not_in_future(self.cleaned_data["decided_on"], "A decision")

    def clean_meeting(self):
        meeting = self.cleaned_data.get("meeting")
        if meeting and meeting.held_on > timezone.localdate():
            raise forms.ValidationError(
                f"This meeting is planned for {meeting.held_on:%d %b %Y}: "
                "record its decisions once it is held."
            )
        return meeting


class QuickDecisionForm(StyledForm):
    """Approve, defer or reject one initiative from a meeting's page."""

    initiative = forms.ModelChoiceField(queryset=Initiative.objects.none())
    change = forms.ChoiceField(choices=[c for c in Change.choices if c[0]])
    outcome = forms.CharField(
        label="Why", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["initiative"].queryset = Initiative.objects.filter(
            organization=organization, status__in=[*CANDIDATE_STATUSES]
        ).exclude(status=Status.APPROVED)


class RaciForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Raci
        fields = ("title", "decision", "initiative")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") and cleaned.get("initiative"):
            self.add_error("initiative", "A matrix is for a decision or an initiative, not both.")
        return cleaned


class VisitForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Visit
        fields = ("person", "direction", "meeting", "on", "learned")
        widgets = {"on": DATE, "learned": forms.Textarea(attrs={"rows": 3})}


class ReviewForm(OrgModelForm):
    class Meta(OrgModelForm.Meta):
        model = Review
        fields = ("kind", "title", "due")
        widgets = {"due": DATE}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.is_done:
            raise forms.ValidationError(
                "This review is complete: it is kept as it was, with its snapshot."
            )
        return cleaned


def parse_grid(post) -> tuple[list[str], list[dict]]:
    """The RACI grid posted by the matrix page: ``person-<j>``, ``activity-<i>`` and
    ``cell-<i>-<j>``. Empty names drop their row or column."""
    people_idx = sorted(
        int(k.split("-")[1]) for k in post if k.startswith("person-") and k[7:].isdigit()
    )
    rows_idx = sorted(
        int(k.split("-")[1]) for k in post if k.startswith("activity-") and k[9:].isdigit()
    )
    columns = [(j, post.get(f"person-{j}", "").strip()[:120]) for j in people_idx[:30]]
    columns = [(j, p) for j, p in columns if p]
    rows = []
    for i in rows_idx[:60]:
        activity = post.get(f"activity-{i}", "").strip()[:200]
        if not activity:
            continue
        cells = {}
        for j, person in columns:
            letter = post.get(f"cell-{i}-{j}", "").strip().upper()[:1]
            if letter:
                cells[person] = letter
        rows.append({"activity": activity, "cells": cells})
    return [p for _, p in columns], rows


class ApproveScenarioForm(StyledForm):
    """Approve what a scenario chose, recorded as one committee decision."""

    meeting = forms.ModelChoiceField(
        queryset=Meeting.objects.none(),
        required=False,
        empty_label="Not in a meeting",
        label="In the meeting (optional)",
        help_text="Leave empty for a decision taken outside a meeting, dated today.",
    )
    outcome = forms.CharField(
        label="Why (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, organization, **kwargs):

        super().__init__(*args, **kwargs)
        # A decision is dated its meeting's day, so only meetings already held (or today's).
        self.fields["meeting"].queryset = Meeting.objects.filter(
            organization=organization, held_on__lte=timezone.localdate()
        ).order_by("-held_on", "-pk")
