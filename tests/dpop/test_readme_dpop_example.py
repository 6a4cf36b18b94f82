"""The README's DPoP example, run as written against the broker over real HTTP: a code flow with
DPoP from end to end (dpop_jkt, nonce retry, a bound token read with a proof, refused as Bearer,
refreshed with the same key)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from broker.extensions import db
from tests.factories import make_claimant
from tests.oauth.helpers import approve_code

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    section = README.read_text().split("## Sender-constrained tokens (DPoP)", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_dpop_example_runs_against_the_broker(app, ctx, issuer_server, demo_dpop_client):
    claimant = make_claimant("Alex Morgan")
    db.session.commit()
    username = claimant.account.username
    printed: list[str] = []

    def fake_print(*values: object) -> None:
        printed.append(" ".join(str(v) for v in values))

    def claimant_approves(_prompt: str) -> str:
        url = next(line for line in printed if "/authorize?" in line)
        parts = urlsplit(url)
        return approve_code(app.test_client(), username, f"{parts.path}?{parts.query}")

    source = _example().replace('BROKER = "http://localhost:5000"', f'BROKER = "{issuer_server}"')
    assert issuer_server in source
    exec(  # noqa: S102 (the README's own code, run as a reader would)
        compile(source, "README.md", "exec"),
        {"__name__": "readme", "print": fake_print, "input": claimant_approves},
    )

    assert "Token type: DPoP" in printed
    assert any(line.startswith("200 ") for line in printed), printed
    assert "The same token as Bearer: 401" in printed
    assert "Refreshed with the same key: DPoP" in printed
