"""The KPI connector form: used by its page and by the API, so both refuse the same things.

The token and the database address are never put back in the form: a saved one shows
"saved — type a new one to replace it", and an empty field keeps it."""

from __future__ import annotations

from django import forms

from cairn.core.forms import bound_echo, style_fields
from cairn.kpis import connectors
from cairn.kpis.connector_models import ConnectorKind, KpiConnector
from cairn.webhooks import addresses

SAVED = "Saved — type a new one to replace it."
SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class ConnectorForm(forms.ModelForm):
    """Kind, source, selectors, schedule; the secrets as write-only fields."""

    token = forms.CharField(
        label="Token",
        required=False,
        max_length=2000,
        widget=SECRET,
        help_text="Sent in the header above, e.g. “Bearer abc…”. Stored encrypted.",
    )
    clear_token = forms.BooleanField(label="Remove the saved token", required=False)
    database_url = forms.CharField(
        label="Database address (query only)",
        required=False,
        max_length=1000,
        widget=SECRET,
        help_text="e.g. postgresql://reader:password@db.example.com:5432/finance, "
        "mysql://reader:password@db.example.com/sales (needs PyMySQL), or "
        "sqlite:///path/to/file.db (from the folder the administrator allows). Use an account "
        "that can only read: Cairn opens the database read-only where it can. Stored "
        "encrypted, with the password.",
    )

    class Meta:
        model = KpiConnector
        fields = (
            "kind",
            "url",
            "auth_header",
            "token",
            "clear_token",
            "database_url",
            "query",
            "items_path",
            "date_field",
            "value_field",
            "confirm_questioned",
            "schedule",
            "enabled",
        )
        labels = {
            "kind": "Where the values come from",
            "date_field": "Date column or field",
            "value_field": "Value column or field",
            "items_path": "List of items (JSON only)",
            "url": "Web address (file or JSON)",
            "query": "Query (database only)",
            "auth_header": "Header for a token (optional)",
            "enabled": "Run on its schedule",
        }
        help_texts = {
            "url": "An https:// address of a CSV or .xlsx file (first sheet, a header row) or "
            "of a JSON answer.",
            "auth_header": "e.g. Authorization or X-Api-Key, if the address needs a token.",
            "query": "SQL giving one row per date, with a date column and a value column, e.g. "
            "SELECT day AS date, SUM(amount) AS value FROM orders GROUP BY day.",
            "items_path": "Where the list is in the answer, with dots, e.g. data.points; "
            "empty when the answer is the list itself.",
            "date_field": "The column (file, query) or field in each item (JSON, dots allowed, "
            "e.g. when or period.end) holding the date, as 2026-01-31.",
            "value_field": "The column or field holding the number, e.g. amount.",
            "confirm_questioned": "Out of range, before the baseline or a sudden jump: without "
            "this, such a value fails the run so that someone looks at it.",
        }
        widgets = {"query": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})}

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["kind"].choices = ConnectorKind.choices
        self.fields["url"].widget.attrs.update(placeholder="https://", inputmode="url")
        if self.instance.has_token:
            self.fields["token"].help_text = SAVED
            self.fields["token"].widget.attrs["placeholder"] = "saved"
        else:
            del self.fields["clear_token"]
        if self.instance.has_database:
            self.fields["database_url"].help_text = f"{SAVED} Now: {self.instance.database_hint}."
            self.fields["database_url"].widget.attrs["placeholder"] = "saved"
        if not connectors.HAS_PYMYSQL:
            self.fields["database_url"].help_text += f" {connectors.MYSQL_NEEDS}"
        style_fields(self)
        bound_echo(self)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in (ConnectorKind.CSV_URL, ConnectorKind.JSON_URL):
            url = (data.get("url") or "").strip()
            if not url:
                self.add_error("url", "Give the web address to read.")
            else:
                try:
                    connectors.check_url(url)
                except addresses.AddressRefused as e:
                    self.add_error("url", str(e))
            data["url"] = url
            if data.get("token") and not (data.get("auth_header") or "").strip():
                self.add_error("auth_header", "Name the header the token is sent in.")
        elif kind == ConnectorKind.SQL:
            database = (data.get("database_url") or "").strip()
            if not database and not self.instance.has_database:
                self.add_error("database_url", "Give the database's address.")
            elif database and (problem := connectors.database_problem(database)):
                self.add_error("database_url", problem)
            if not (data.get("query") or "").strip():
                self.add_error("query", "Write the query that gives the dates and values.")
        for name in ("date_field", "value_field"):
            if not (data.get(name) or "").strip() and name not in self.errors:
                self.add_error(name, "Name the column or field.")
        return data

    def values(self) -> dict:
        """What ``connector_services.save_connector`` takes."""
        data = self.cleaned_data
        return {
            **{name: data.get(name) for name in self.Meta.fields if name in data},
            "auth_header": (data.get("auth_header") or "").strip(),
            "items_path": (data.get("items_path") or "").strip(),
            "date_field": data["date_field"].strip(),
            "value_field": data["value_field"].strip(),
        }
