"""The sticky pull request comment, over GitHub's REST API with urllib (no dependency).

One comment per pull request, found again by :data:`~scanner.integrations.action.summary.MARKER` at the
start of its body and updated in place. When several carry the marker (two runs raced), the
oldest is kept and updated and the others are deleted. ``GITHUB_API_URL`` is the base URL, so
GitHub Enterprise Server works as well.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from scanner import __version__
from scanner.integrations.action.summary import MARKER

TIMEOUT = 30
MAX_PAGES = 50
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class ApiError(Exception):
    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class CommentResult:
    action: str  # "created" | "updated"
    url: str | None
    deleted_duplicates: int = 0


class GitHub:
    def __init__(self, api_url: str, token: str, repository: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.repository = repository

    def request(self, method: str, url: str, body: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        if not url.startswith(("http://", "https://")):
            url = f"{self.api_url}{url}"
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", f"nhi-guard/{__version__}")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
                raw = resp.read()
                headers = {k.lower(): v for k, v in resp.headers.items()}
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, f"{method} {_path(url)}: HTTP {exc.code} {_message(exc)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(None, f"{method} {_path(url)}: {reason}") from None
        if not raw:
            return None, headers
        try:
            return json.loads(raw), headers
        except ValueError:
            raise ApiError(None, f"{method} {_path(url)}: the response is not JSON") from None

    def pages(self, url: str) -> list[Any]:
        """Every item of a paginated list endpoint (``Link: rel="next"``), in order."""
        found: list[Any] = []
        next_url: str | None = url
        for _ in range(MAX_PAGES):
            if next_url is None:
                break
            page, headers = self.request("GET", next_url)
            if not isinstance(page, list):
                raise ApiError(None, f"GET {_path(next_url)}: the response is not a list")
            found.extend(page)
            m = _NEXT.search(headers.get("link", ""))
            next_url = m.group(1) if m else None
        return found

    def marker_comments(self, number: int) -> list[dict[str, Any]]:
        """Comments of the pull request that start with the marker, oldest first."""
        found = [
            c
            for c in self.pages(f"/repos/{self.repository}/issues/{number}/comments?per_page=100")
            if isinstance(c, dict) and isinstance(c.get("body"), str) and c["body"].lstrip().startswith(MARKER)
        ]
        return sorted(found, key=lambda c: (str(c.get("created_at", "")), int(c.get("id", 0))))

    def reviews(self, number: int) -> list[Any]:
        """The pull request's reviews, oldest first (needs ``pull-requests: read``)."""
        return self.pages(f"/repos/{self.repository}/pulls/{number}/reviews?per_page=100")

    def team_members(self, org: str, slug: str) -> list[str]:
        """Logins of a team's members, child teams' included (needs organization members read access)."""
        members = self.pages(f"/orgs/{quote(org, safe='')}/teams/{quote(slug, safe='')}/members?per_page=100")
        return [m["login"] for m in members if isinstance(m, dict) and isinstance(m.get("login"), str)]

    def upsert_comment(self, number: int, body: str) -> CommentResult:
        existing = self.marker_comments(number)
        if not existing:
            created, _ = self.request("POST", f"/repos/{self.repository}/issues/{number}/comments", {"body": body})
            # another run may have created one at the same moment: keep the oldest
            existing = self.marker_comments(number)
            if len(existing) <= 1:
                return CommentResult("created", _url(created))
        keep, extra = existing[0], existing[1:]
        updated, _ = self.request("PATCH", f"/repos/{self.repository}/issues/comments/{keep['id']}", {"body": body})
        for c in extra:
            self.request("DELETE", f"/repos/{self.repository}/issues/comments/{c['id']}")
        return CommentResult("updated", _url(updated) or _url(keep), len(extra))


def _url(data: Any) -> str | None:
    return data.get("html_url") if isinstance(data, dict) and isinstance(data.get("html_url"), str) else None


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0]


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return ""
    msg = data.get("message") if isinstance(data, dict) else None
    return f"({msg})" if isinstance(msg, str) else ""
