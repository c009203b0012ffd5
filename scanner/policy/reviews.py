"""A pull request's reviews, as GitHub's REST API returns them, and who has approved.

``GET /repos/{owner}/{repo}/pulls/{n}/reviews`` returns a JSON array, oldest first, of
``{"id", "user": {"login"}, "state", "submitted_at", "commit_id", ...}``, 30 to a page (at most 100);
``gh api --paginate --slurp`` writes every page, as an array of those arrays, which is read too. A login's *decision* is
its latest review that is not ``COMMENTED`` (nor ``PENDING``, a draft only its author sees): a
later ``CHANGES_REQUESTED`` or ``DISMISSED`` withdraws an earlier ``APPROVED``, a comment does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING")
#: states that are not a decision: a comment leaves the earlier decision standing
NOT_DECISIONS = ("COMMENTED", "PENDING")
ENDPOINT = "GET /repos/{owner}/{repo}/pulls/{n}/reviews"


class ReviewsError(Exception):
    """A reviews file that is not a reviews array; the message names the file and the key."""


@dataclass(frozen=True)
class Review:
    id: int
    login: str
    state: str
    submitted_at: str | None = None
    commit_id: str | None = None


@dataclass
class Reviews:
    """The reviews of one pull request, in the order GitHub gave them (oldest first)."""

    items: list[Review] = field(default_factory=list)
    #: where they came from: a file name, or the API endpoint the Action read
    source: str = ""
    #: sha256 of the JSON they were read from, for the evidence record
    sha256: str = ""
    #: why they could not be read (the Action's API call failed): no approver can be verified
    unavailable: str | None = None
    #: the pull request's head commit (``--head-sha``): an approval of another commit was given before
    #: the change last changed, so it does not count (as GitHub's "dismiss stale approvals")
    head: str | None = None

    def stale(self, review: Review) -> bool:
        """``review`` approves a commit other than the head (or one it does not name), when the head is known."""
        if self.head is None:
            return False
        commit = (review.commit_id or "").lower()
        head = self.head.lower()
        # a short SHA names a commit from 7 digits on, as git abbreviates it; fewer match too much
        return len(commit) < 7 or not (commit.startswith(head) or head.startswith(commit))

    def decision(self, logins: Sequence[str]) -> Review | None:
        """The latest decision (not a comment) of any of ``logins`` (case-insensitive), or None."""
        wanted = {login.lower() for login in logins}
        latest: Review | None = None
        for review in self._ordered():
            if review.login.lower() in wanted and review.state not in NOT_DECISIONS:
                latest = review
        return latest

    def latest(self, logins: Sequence[str]) -> Review | None:
        """The latest review of any kind by one of ``logins``: what to name when there is no decision."""
        wanted = {login.lower() for login in logins}
        found = [r for r in self._ordered() if r.login.lower() in wanted and r.state != "PENDING"]
        return found[-1] if found else None

    def logins(self) -> list[str]:
        return list(dict.fromkeys(r.login for r in self.items))

    def _ordered(self) -> list[Review]:
        # the API's order is chronological; submitted_at, where every review has one, confirms it
        if all(r.submitted_at for r in self.items):
            return sorted(self.items, key=lambda r: _when(r.submitted_at))
        return list(self.items)


def _when(text: str | None) -> datetime:
    """An ISO 8601 time, aware (a time without an offset is UTC, as GitHub writes them); None if it is not one."""
    try:
        when = datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def load_reviews(path: str | Path) -> Reviews:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReviewsError(f"{path}: cannot read the reviews file: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        # `gh api --paginate` without --slurp writes one array per page, one after the other
        hint = "; with `gh api --paginate`, add --slurp" if "Extra data" in str(exc) else ""
        raise ReviewsError(f"{path}: not JSON: {exc}{hint}") from None
    return parse_reviews(data, str(path), hashlib.sha256(raw).hexdigest())


def parse_reviews(data: Any, source: str, sha256: str = "") -> Reviews:
    """Check and read the API's answer; anything else is a :class:`ReviewsError` naming the key."""
    if isinstance(data, dict):
        hint = f" (an error response from the API: {data['message']})" if isinstance(data.get("message"), str) else ""
        raise ReviewsError(f"{source}: must be a JSON array of reviews, as {ENDPOINT} returns, not an object{hint}")
    if not isinstance(data, list):
        raise ReviewsError(f"{source}: must be a JSON array of reviews, as {ENDPOINT} returns")
    if data and all(isinstance(page, list) for page in data):
        data = [item for page in data for item in page]  # `gh api --paginate --slurp`: an array of pages
    if not sha256:
        sha256 = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    items = []
    for i, item in enumerate(data):
        where = f"{source}: [{i}]"
        if not isinstance(item, dict):
            raise ReviewsError(f"{where}: must be a review object")
        review_id = item.get("id")
        if not isinstance(review_id, int) or isinstance(review_id, bool):
            raise ReviewsError(f"{where}.id: must be the review's number")
        state = item.get("state")
        if state not in STATES:
            raise ReviewsError(f"{where}.state: must be one of {', '.join(STATES)}, not {json.dumps(state)}")
        user = item.get("user")
        if user is None:  # a deleted account ("ghost"): its review names nobody
            continue
        login = user.get("login") if isinstance(user, dict) else None
        if not isinstance(login, str) or not login.strip():
            raise ReviewsError(f"{where}.user.login: must be the reviewer's login")
        submitted, commit = item.get("submitted_at"), item.get("commit_id")
        for key, value in (("submitted_at", submitted), ("commit_id", commit)):
            if value is not None and not isinstance(value, str):
                raise ReviewsError(f"{where}.{key}: must be a string or null")
        if submitted is not None and not _is_time(submitted):
            raise ReviewsError(f"{where}.submitted_at: must be an ISO 8601 time, not {json.dumps(submitted)}")
        items.append(Review(review_id, login.strip(), state, submitted, commit))
    return Reviews(items, source, sha256)
