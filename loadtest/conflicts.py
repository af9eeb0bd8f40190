"""Phase d: two people saving the same initiative at once, one through each app server,
through the API and through the web form as a browser sends it."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser

import requests
from common import CONFLICT_ROUNDS, Cluster, api


class FormFields(HTMLParser):
    """The fields a browser would send with the form posting to ``action``."""

    def __init__(self, action: str):
        super().__init__()
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self.in_form = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("action") == self.action:
            self.in_form = True
        if not self.in_form or "name" not in a and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.fields.append(
                    (a["name"], a.get("value") or ("on" if kind == "checkbox" else ""))
                )
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea, self.text = a["name"], ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.fields.append((self.textarea, self.text.removeprefix("\n")))
            self.textarea = None
        elif tag == "form" and self.in_form:
            self.in_form = False


def browser(base: str, person: dict, password: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": person["username"], "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{person['username']} could not sign in: {answer.status_code}")
    return session


def at_once(*calls):
    """Run the calls in threads released together; their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        answers[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def conflicts(cluster: Cluster, plan: dict) -> list[dict]:
    """Two people save the same initiative from the same version at once, one through each
    app server: one is saved, the other told of the conflict. Through the API, then the form."""
    first, second = plan["rivals"]
    app1, app2 = cluster.env["APP1_URL"], cluster.env["APP2_URL"]
    path = "api/v1/orgs/summit/initiatives"
    made = api(f"{app1}/{path}", first["token"], "POST", json={"title": "Load test: rivals"})
    made.raise_for_status()
    item = made.json()["id"]
    outcomes = []
    for round_ in range(CONFLICT_ROUNDS):
        version = api(f"{app1}/{path}/{item}", first["token"]).json()["version"]
        texts = [f"API round {round_}: {who['username']}" for who in (first, second)]
        answers = at_once(
            *[
                lambda base=base, who=who, text=text, version=version: api(
                    f"{base}/{path}/{item}",
                    who["token"],
                    "PATCH",
                    json={"description": text, "version": version},
                )
                for base, who, text in zip((app1, app2), (first, second), texts, strict=True)
            ]
        )
        codes = sorted(a.status_code for a in answers)
        stored = api(f"{app1}/{path}/{item}", first["token"]).json()
        winner = [t for t, a in zip(texts, answers, strict=True) if a.status_code == 200]
        outcomes.append(
            {
                "via": "API",
                "statuses": codes,
                "ok": codes == [200, 409]
                and stored["description"] == winner[0]
                and stored["version"] == version + 1,
            }
        )
    sessions = [browser(app1, first, plan["password"]), browser(app2, second, plan["password"])]
    edit = f"o/summit/path/initiatives/{item}/edit/"
    for round_ in range(3):
        forms = []
        for base, session in zip((app1, app2), sessions, strict=True):
            parser = FormFields(f"/{edit}")
            parser.feed(session.get(f"{base}/{edit}", timeout=30).text)
            forms.append(parser.fields)
        texts = [f"Form round {round_}: {who['username']}" for who in (first, second)]
        posts = [
            [(k, text if k == "description" else v) for k, v in fields]
            for fields, text in zip(forms, texts, strict=True)
        ]
        answers = at_once(
            *[
                lambda base=base, session=session, data=data: session.post(
                    f"{base}/{edit}",
                    data=data,
                    headers={"Referer": f"{base}/{edit}"},
                    allow_redirects=False,
                    timeout=30,
                )
                for base, session, data in zip((app1, app2), sessions, posts, strict=True)
            ]
        )
        codes = sorted(a.status_code for a in answers)
        told = any(
            a.status_code == 409 and "Someone else changed this initiative" in a.text
            for a in answers
        )
        stored = api(f"{app1}/{path}/{item}", first["token"]).json()
        winner = [t for t, a in zip(texts, answers, strict=True) if a.status_code == 302]
        outcomes.append(
            {
                "via": "web form",
                "statuses": codes,
                "ok": codes == [302, 409] and told and stored["description"] == winner[0],
            }
        )
    return outcomes
