from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.iam.catalog import arns_intersect
from scanner.iam.evaluate import Grant, Permissions, escalation_paths
from scanner.iam.policy_grammar import ASSUME_ROLE_ACTIONS, Statement, caller_constrained, pins
from scanner.iam.policy_lookup import referenced_behind, trust_policy_of
from scanner.iam.principals import label_of, principal_of
from scanner.model.resource import Model, Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown, is_unknown
from scanner.rules.base import Context, Rule, Violation

#: identities that call sts:AssumeRole themselves (a group's grants reach its users)
CALLERS = ("aws_iam_role", "aws_iam_user")
#: hops followed from the caller; chains longer than this are not reported
MAX_HOPS = 4
#: chains described in one message
SHOWN = 3
ASSUME_ROLE = ASSUME_ROLE_ACTIONS[0]

_ROOT_RE = re.compile(r"^(?:arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:iam::(?:\d{12}|\*)?:root|\d{12})$")


@dataclass(frozen=True)
class Hop:
    """``caller`` can assume ``role``: the grant that allows it, and the trust statement that admits it."""

    role: Resource
    #: the caller's ``sts:AssumeRole`` grant; None when the trust policy names the caller in the same
    #: account, which is enough on its own (see :meth:`_Graph._trust_alone`)
    grant: Grant | None
    trust: Statement
    #: why the trust admits the caller: ``names it``, ``admits its account root``, ``admits anyone``
    admitted: str
    constrained: bool


@dataclass(frozen=True)
class Admission:
    """The trust statement that admits a caller, and how."""

    stmt: Statement
    why: str
    limited: bool
    #: the statement names the caller itself (by ARN or reference), not its account or everyone
    named: bool


@dataclass(frozen=True)
class Power:
    """What a role can do that makes reaching it matter."""

    description: str
    admin: bool


class _Graph:
    """Who can assume which role, and which roles are worth reaching, for one scan (filled on first use).

    It holds its context weakly: the cache entry goes away with the scan's model.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = weakref.ref(ctx)
        self._hops: dict[int, list[Hop]] = {}
        self._power: dict[int, Power | None] = {}
        self._perms: dict[int, Permissions] = {}
        self._trust: dict[int, list[Statement]] = {}
        self._named: dict[tuple[str, str, str], list[Resource]] | None = None

    @property
    def ctx(self) -> Context:
        ctx = self._ctx()
        assert ctx is not None, "used after its scan"
        return ctx

    @property
    def model(self) -> Model:
        return self.ctx.model

    def perms(self, res: Resource) -> Permissions:
        found = self._perms.get(id(res))
        if found is None:
            found = self._perms[id(res)] = Permissions(principal_of(res, self.ctx))
        return found

    def trust(self, role: Resource) -> list[Statement]:
        found = self._trust.get(id(role))
        if found is None:
            found = self._trust[id(role)] = trust_policy_of(role, self.ctx)
        return found

    def hops(self, caller: Resource) -> list[Hop]:
        found = self._hops.get(id(caller))
        if found is None:
            found = self._hops[id(caller)] = self._find_hops(caller)
        return found

    def _find_hops(self, caller: Resource) -> list[Hop]:
        grants = self.perms(caller).grants(ASSUME_ROLE)
        out: list[Hop] = []
        scope = self.model.scope(caller)
        # Without a grant of its own only a trust policy that names the caller lets it in: ask the
        # index of named principals rather than every role (a scan of thousands of roles).
        roles = self.model.of_type("aws_iam_role") if grants else self._naming(caller)
        for role in roles:
            if role is caller or role.mode != "managed" or self.model.scope(role) != scope:
                continue
            admission = _trust_admits(role, caller, self.ctx, self.trust(role))
            if admission is None:
                continue
            grant = next((g for g in grants if _grant_reaches(g, role, self.ctx)), None)
            if grant is None and not (admission.named and self._trust_alone(caller, role)):
                continue
            limited = bool(grant and grant.constraint) or admission.limited
            out.append(Hop(role, grant, admission.stmt, admission.why, limited))
        return out

    def _naming(self, caller: Resource) -> list[Resource]:
        """Roles whose trust policy names ``caller``: by the name in an ARN, or by reference."""
        if self._named is None:
            self._named = defaultdict(list)
            for role in self.model.of_type("aws_iam_role"):
                for stmt in self.trust(role):
                    for ident in stmt.principal_ids("AWS"):
                        key = _principal_key(ident)
                        if key is not None and role not in self._named[key]:
                            self._named[key].append(role)
        noun = "role" if caller.type == "aws_iam_role" else "user"
        found = list(self._named.get(("ref", caller.type, caller.name), []))
        name = caller.get("name")
        if isinstance(name, str):
            found += [r for r in self._named.get(("arn", noun, name), []) if r not in found]
        return found

    def _trust_alone(self, caller: Resource, role: Resource) -> bool:
        """A trust policy that names ``caller`` lets it assume ``role`` with no grant of its own.

        Within one account a role's trust policy is a resource policy that names the principal,
        which AWS honours on its own; through the account root it would only delegate to the
        caller's identity policies. Same account is taken to mean the same provider
        configuration. What still stops the call: an unconditional ``Deny`` in the caller's
        policies, and for a role (not a user) a permissions boundary that does not allow
        ``sts:AssumeRole`` (AWS applies a role's boundary to resource policies naming the role).
        """
        if caller.provider != role.provider:
            return False
        perms = self.perms(caller)
        if perms.denies(ASSUME_ROLE, _arn_glob(role, "role")):
            return False
        return caller.type != "aws_iam_role" or perms.boundary_allows(ASSUME_ROLE)

    def power(self, role: Resource) -> Power | None:
        if id(role) not in self._power:
            self._power[id(role)] = self._find_power(role)
        return self._power[id(role)]

    def _find_power(self, role: Resource) -> Power | None:
        perms = self.perms(role)
        if perms.is_admin():
            return Power("administrator access (`*` on `*`)", admin=True)
        admin_class = [p.label for p in perms.principal.policies if p.admin_class]
        paths = escalation_paths(perms)
        methods = [p.method.id for p in paths]
        if admin_class and not methods:
            return Power(" and ".join(admin_class), admin=False)
        if methods:
            shown = ", ".join(methods[:4]) + (f" and {len(methods) - 4} more" if len(methods) > 4 else "")
            return Power(f"a privilege escalation path ({shown})", admin=False)
        return None

    def chains(self, caller: Resource) -> list[list[Hop]]:
        """Shortest chains (breadth first, at most MAX_HOPS) from ``caller`` to each role worth reaching."""
        out: list[list[Hop]] = []
        seen = {id(caller)}
        frontier: list[list[Hop]] = [[]]
        for _ in range(MAX_HOPS):
            nxt: list[list[Hop]] = []
            for chain in frontier:
                here = chain[-1].role if chain else caller
                for hop in self.hops(here):
                    if id(hop.role) in seen:
                        continue
                    seen.add(id(hop.role))
                    path = [*chain, hop]
                    if self.power(hop.role) is not None:
                        out.append(path)  # reported; what lies beyond it is its own finding
                    else:
                        nxt.append(path)
            frontier = nxt
            if not frontier:
                break
        return out


_GRAPHS: weakref.WeakKeyDictionary[Model, _Graph] = weakref.WeakKeyDictionary()


def _graph(ctx: Context) -> _Graph:
    graph = _GRAPHS.get(ctx.model)
    if graph is None or graph._ctx() is not ctx:
        graph = _GRAPHS[ctx.model] = _Graph(ctx)
    return graph


def _arn_glob(res: Resource, noun: str) -> str | None:
    """``arn:*:iam::*:role/path/name`` of an identity in the scan (account unknown), or None without a name."""
    name, path = res.get("name"), res.get("path")
    if not isinstance(name, str) or not name:
        return None
    path = path if isinstance(path, str) and path.startswith("/") else "/"
    return f"arn:*:iam::*:{noun}{path}{name}"


def _grant_reaches(grant: Grant, role: Resource, ctx: Context) -> bool:
    """The ``sts:AssumeRole`` grant covers ``role``: by an ARN pattern that matches its name, or by reference."""
    stmt = grant.stmt
    if not stmt.resources:
        return bool(stmt.not_resources)  # NotResource: everything else; conservatively, it reaches
    arn = _arn_glob(role, "role")
    for resource in stmt.resources:
        if isinstance(resource, str):
            tail = resource.split(":", 5)[-1]
            if not tail.strip("*") or (resource.startswith("arn:") and tail in ("role/*", "*")):
                return True
            if arn is not None and arns_intersect(arn, resource):
                return True
        elif is_unknown(resource) and grant.source.resource is not None:
            source = grant.source.resource
            if role in referenced_behind(source, grant.source.path, ctx, "aws_iam_role"):
                return True
    return False


def _trust_admits(role: Resource, caller: Resource, ctx: Context, trust: list[Statement]) -> Admission | None:
    """The statement of ``role``'s trust policy (``trust``) that admits ``caller`` to ``sts:AssumeRole``."""
    noun = "role" if caller.type == "aws_iam_role" else "user"
    arn = _arn_glob(caller, noun)
    by_reference = caller in referenced_behind(role, "assume_role_policy", ctx, caller.type)
    for stmt in trust:
        if not stmt.allows(ASSUME_ROLE):
            continue
        limited = any(pins(c) for c in stmt.conditions) or stmt.conditions_unknown
        if stmt.principal_is_anyone:
            return Admission(stmt, "admits any AWS principal", caller_constrained(stmt) or limited, named=False)
        ids = stmt.principal_ids("AWS")
        names = f"names {label_of(caller)}"
        for ident in ids:
            if is_unknown(ident) and _names_reference(ident, caller):
                return Admission(stmt, names, limited, named=True)
            pattern = ident if isinstance(ident, str) else _templated_arn(ident)
            if pattern and arn is not None and pattern.startswith("arn:") and arns_intersect(arn, pattern):
                return Admission(stmt, names, limited, named=True)
        if by_reference and any(is_unknown(i) for i in ids):
            # the trust references the caller, through something this cannot tell apart (a local, a
            # list): it admits the caller, but only to what the caller's own policies allow
            return Admission(stmt, names, limited, named=False)
        if any(isinstance(i, str) and _ROOT_RE.match(i) for i in ids):
            return Admission(stmt, "admits the account root (any principal whose policies allow it)", limited, False)
    return None


#: ``arn:aws:iam::${data.aws_caller_identity.current.account_id}:role/ci``: only the partition and
#: account are computed, so the principal is still one named role or user
_TEMPLATED_ARN_RE = re.compile(
    r"^arn:(?:aws[\w-]*|\$\{[^}]*\}):iam::(?:\d{12}|\$\{[^}]*\}):((?:role|user)/[^${}*?]+)$"
)


def _principal_key(ident: object) -> tuple[str, str, str] | None:
    """Index key of a trust policy's AWS principal: ("arn", "role", NAME) or ("ref", TYPE, LABEL)."""
    if is_unknown(ident):
        m = _OWN_ARN_RE.match(ident.source)
        if m is not None:
            rtype, _, label = m.group("address").partition(".")
            return ("ref", rtype, label)
        pattern = _templated_arn(ident)
    else:
        pattern = ident if isinstance(ident, str) else None
    if pattern is None or not pattern.startswith("arn:"):
        return None
    resource = pattern.split(":", 5)[-1]
    noun, _, rest = resource.partition("/")
    return ("arn", noun, rest.rsplit("/", 1)[-1]) if noun in ("role", "user") and rest else None


def _templated_arn(value: Unknown) -> str | None:
    """The ARN glob of a principal whose ARN is built from a literal name and a computed account."""
    m = _TEMPLATED_ARN_RE.match(value.source)
    return f"arn:*:iam::*:{m.group(1)}" if m else None


#: ``aws_iam_role.ci.arn``, ``aws_iam_role.ci[0].arn``, ``aws_iam_role.ci.0.arn``, ``aws_iam_role.ci["a"].unique_id``
_OWN_ARN_RE = re.compile(r"^(?P<address>[\w-]+\.[\w-]+)(?:\[(?P<key>[^\]]*)\]|\.(?P<index>\d+))?\.(?:arn|unique_id)$")


def _names_reference(value: Unknown, caller: Resource) -> bool:
    """The unknown principal is the caller's own ARN (or unique id), of the same instance when both have keys."""
    m = _OWN_ARN_RE.match(value.source)
    if m is None or m.group("address") != f"{caller.type}.{caller.name}":
        return False
    key = m.group("key") if m.group("key") is not None else m.group("index")
    own = re.search(r"\[([^\]]*)\]$", caller.address)
    return key is None or own is None or key == own.group(1)


def _describe(caller: Resource, chain: list[Hop], power: Power) -> str:
    names = " -> ".join([caller.address, *(h.role.address for h in chain)])
    steps = "; ".join(
        f"{h.role.address}: "
        + (
            f"sts:AssumeRole from {h.grant.describe()}, its trust policy {h.trust.label} {h.admitted}"
            if h.grant is not None
            else f"its trust policy {h.trust.label} {h.admitted}, which is enough in the same account"
        )
        + (", under conditions" if h.constrained else "")
        for h in chain
    )
    return f"{names} reaches {power.description} ({steps})"


class RoleChain(Rule):
    """## What it does
    Flags an IAM role or user that can assume another role which is an
    administrator or has a privilege escalation path (NHI_AWS_030's methods, or
    an admin-class AWS managed policy such as `IAMFullAccess`). The role's trust
    policy must admit the caller: by ARN or reference, through the account root
    (`arn:aws:iam::ACCOUNT:root`, which admits any principal whose own policies
    allow the call), or `Principal "*"`; and the caller's combined policies must
    allow `sts:AssumeRole` on the role (`"*"`, `role/*`, an ARN pattern matching
    its name, or a reference to it). A trust policy that names the caller itself
    (by ARN or reference) in the same account needs no such grant: the trust
    policy alone lets it in, unless the caller's own policies deny
    `sts:AssumeRole` or, for a role, its permissions boundary does not allow it.
    "The same account" is read as the same provider configuration. Chains are
    followed up to four hops (`A -> B -> C`), and the message names every hop,
    the grant and the trust statement it uses, and what the last role can do.

    `Deny` statements, permissions boundaries and conditions are evaluated as for
    NHI_AWS_030. Severity: critical when the role reached has administrator
    access, high when it has an escalation path, medium when a hop is limited by a
    condition (on the `sts:AssumeRole` grant or the trust statement). A role
    reached is the end of a chain: what it can reach in turn is its own finding.
    Groups are not reported (they do not call `sts:AssumeRole`; their users are),
    nor a caller that is itself an administrator. The account root in a trust
    policy is taken to be the caller's account: the scan cannot tell accounts
    apart when ARNs are built at apply.

    ## Why is this bad?
    A role is only as privileged as the most privileged role it can assume.
    "Let CI assume the deploy role" and "the deploy role trusts the account" are
    each reasonable in review; together they make the CI role an administrator.
    Per-policy checks, and NHI_AWS_030 on the CI role alone, do not see it.

    ## Example
    The CI role may assume any role, and the admin role trusts the account:
    ```hcl
    resource "aws_iam_role" "ci" {
      name               = "ci"
      assume_role_policy = data.aws_iam_policy_document.github_oidc.json
    }

    resource "aws_iam_role_policy" "ci" {
      role = aws_iam_role.ci.id
      policy = jsonencode({
        Version   = "2012-10-17"
        Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Resource = "*" }]
      })
    }

    resource "aws_iam_role" "admin" {
      name = "admin"
      assume_role_policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Effect    = "Allow"
          Action    = "sts:AssumeRole"
          Principal = { AWS = "arn:aws:iam::111122223333:root" }
        }]
      })
    }

    resource "aws_iam_role_policy_attachment" "admin" {
      role       = aws_iam_role.admin.name
      policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    }
    ```

    ## Use instead
    Let the caller assume only the roles it needs:
    ```hcl
    data "aws_iam_policy_document" "ci_assume" {
      statement {
        actions   = ["sts:AssumeRole"]
        resources = [aws_iam_role.deploy.arn]
      }
    }

    resource "aws_iam_role_policy" "ci" {
      role   = aws_iam_role.ci.id
      policy = data.aws_iam_policy_document.ci_assume.json
    }
    ```
    A privileged role, for its part, should trust the roles meant to use it by ARN, not the account root.
    """

    id = "NHI_AWS_031"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "IAM principal can assume a role with administrator access or an escalation path"
    fix = (
        "Scope sts:AssumeRole to the roles the caller needs, and name the trusted principals in privileged roles' "
        "trust policies."
    )
    resource_types = CALLERS
    cross_resource = True

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        if res.mode != "managed":
            return
        graph = _graph(ctx)
        if graph.perms(res).is_admin():
            return
        chains = graph.chains(res)
        if not chains:
            return
        parts: list[str] = []
        severity = Severity.LOW
        for chain in chains:
            power = graph.power(chain[-1].role)
            assert power is not None
            if any(h.constrained for h in chain) or is_unknown(graph.perms(res).principal.boundary):
                this = Severity.MEDIUM
            else:
                this = Severity.CRITICAL if power.admin else Severity.HIGH
            severity = max(severity, this, key=lambda s: s.rank)
            parts.append(_describe(res, chain, power))
        more = f"; and {len(parts) - SHOWN} more" if len(parts) > SHOWN else ""
        yield Violation(
            f"role chain: {label_of(res)} can assume {'a role' if len(chains) == 1 else f'{len(chains)} roles'} "
            f"with more power than it was given: " + "; ".join(parts[:SHOWN]) + more,
            key="role-chain",
            severity=severity,
        )
