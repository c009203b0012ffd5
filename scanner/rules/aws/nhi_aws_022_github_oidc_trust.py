from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.github_claims import EXACT, GITHUB_HOST, IAM_LIKE, claim_value_pinned, owner_pinned
from scanner.iam.policy_grammar import Condition, Statement
from scanner.iam.policy_lookup import referenced_behind, trust_policy_of
from scanner.model.resource import Resource
from scanner.model.severity import Category, Severity
from scanner.model.values import Unknown
from scanner.rules.base import Context, Rule, Violation

WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
#: Claims that can tie a token to one repository (or one reusable workflow's repository).
REPO_CLAIMS = ("sub", "repository", "repository_id", "job_workflow_ref")


def _wildcards(cond: Condition) -> str:
    """``StringLike`` matches ``*`` and ``?``; ``StringEquals`` compares them as characters."""
    return IAM_LIKE if "like" in cond.base_operator.lower() else EXACT


def _claim(cond: Condition) -> str:
    return cond.key.partition(":")[2].lower()


def _unpinned(cond: Condition) -> list[object]:
    """The values of a repository condition that admit more than one repository."""
    return [v for v in cond.values if not claim_value_pinned(_claim(cond), v, _wildcards(cond))]


def _pins_repo(cond: Condition) -> bool:
    # GitHub always sends these claims, so `IfExists` and `ForAllValues:` still require a match.
    if cond.negated or cond.base_operator == "Null" or not cond.values:
        return False
    return not _unpinned(cond)


def _is_github(stmt: Statement, res: Resource, ctx: Context) -> bool:
    federated = stmt.principal_ids("Federated")
    if any(isinstance(p, str) and GITHUB_HOST in p.lower() for p in federated):
        return True
    if stmt.conditions_with_prefix(GITHUB_HOST + ":"):
        return True
    if not any(isinstance(p, Unknown) for p in federated):
        return False
    # `identifiers = [aws_iam_openid_connect_provider.github.arn]`: ask the provider.
    providers = referenced_behind(res, "assume_role_policy", ctx, "aws_iam_openid_connect_provider")
    return bool(providers) and all(
        any(isinstance(p.get(a), str) and GITHUB_HOST in str(p.get(a)).lower() for a in ("url", "arn"))
        for p in providers
    )


class GithubOidcAnyRepo(Rule):
    """## What it does
    Flags an `aws_iam_role` that trusts GitHub Actions' OIDC provider
    (`token.actions.githubusercontent.com`, action `sts:AssumeRoleWithWebIdentity`)
    without tying the token to one repository.

    A statement is tied to a repository when a condition requires one of these
    claims of `token.actions.githubusercontent.com` to have pinned values:

    * `:sub` — `repo:OWNER/NAME:...` with no wildcard in `OWNER/NAME`
      (`repo:acme/app:*`, `repo:acme/app:ref:refs/heads/main`,
      `repo:acme/app:environment:prod`); custom sub templates count when their
      `repository:` or `repository_id:` part is literal;
    * `:repository` (`acme/app`), `:repository_id`, `:job_workflow_ref`
      (`acme/app/.github/workflows/deploy.yml@...`), with no wildcard in the
      repository.

    Under `StringLike` (any `*Like` operator), `"*"`, `"repo:*"`, `"repo:acme/*"`
    and `"repo:acme/app*"` admit other repositories. Under `StringEquals`, `*` and
    `?` are characters: `"repo:acme/*"` admits no token at all, so it is not
    reported. `:aud` does not scope anything (every GitHub token can carry
    `sts.amazonaws.com`), nor does `:repository_owner`. Decision: `:environment`
    alone does not count either: it is only an environment name, and any repository
    on GitHub can create an environment called `production`. Values unknown before
    apply (`var.github_repo`) count as pinned.

    The provider is recognised from the federated principal's ARN, from condition
    keys that name it, or, when the principal is a reference such as
    `aws_iam_openid_connect_provider.github.arn`, from that provider's `url`.

    ## Why is this bad?
    Any GitHub user can create a repository and run a workflow that requests a token
    from `token.actions.githubusercontent.com`. Without a `sub` (or `repository`)
    condition, AWS accepts that token, so anyone on GitHub can assume the role
    (OWASP NHI5). `repo:acme/*` narrows it to every repository of the organization,
    including forks' pull requests in some setups and every contractor's repo.

    ## Example
    ```hcl
    data "aws_iam_policy_document" "github" {
      statement {
        actions = ["sts:AssumeRoleWithWebIdentity"]
        principals {
          type        = "Federated"
          identifiers = [aws_iam_openid_connect_provider.github.arn]
        }
        condition {
          test     = "StringEquals"
          variable = "token.actions.githubusercontent.com:aud"
          values   = ["sts.amazonaws.com"]
        }
      }
    }
    ```

    ## Use instead
    ```hcl
    data "aws_iam_policy_document" "github" {
      statement {
        actions = ["sts:AssumeRoleWithWebIdentity"]
        principals {
          type        = "Federated"
          identifiers = [aws_iam_openid_connect_provider.github.arn]
        }
        condition {
          test     = "StringEquals"
          variable = "token.actions.githubusercontent.com:aud"
          values   = ["sts.amazonaws.com"]
        }
        condition {
          test     = "StringLike"
          variable = "token.actions.githubusercontent.com:sub"
          values   = ["repo:acme/app:ref:refs/heads/main"]
        }
      }
    }
    ```
    """

    id = "NHI_AWS_022"
    category = Category.LEAST_PRIVILEGE
    severity = Severity.CRITICAL
    title = "GitHub Actions OIDC role not limited to one repository"
    fix = "Add a token.actions.githubusercontent.com:sub condition pinned to one repository (repo:OWNER/NAME:...)."
    resource_types = ("aws_iam_role",)
    cross_resource = True  # the OIDC provider and the policy document are other resources

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        for stmt in trust_policy_of(res, ctx):
            if not stmt.allows(WEB_IDENTITY) or stmt.conditions_unknown or not _is_github(stmt, res, ctx):
                continue
            github = stmt.conditions_with_prefix(GITHUB_HOST + ":")
            repo_conds = [c for c in github if _claim(c) in REPO_CLAIMS]
            if any(_pins_repo(c) for c in repo_conds):
                continue
            unpinned = [(c, v) for c in repo_conds for v in _unpinned(c)]
            one_owner = all(owner_pinned(_claim(c), v, _wildcards(c)) for c, v in unpinned)
            scope = "more than one" if unpinned and one_owner else "any"
            yield Violation(
                f"role {res.address} trusts {scope} GitHub repository {_why(repo_conds, github)} "
                f"in {stmt.label} of its trust policy",
                path="assume_role_policy",
                key=stmt.key,
            )


def _why(repo_conds: list[Condition], github: list[Condition]) -> str:
    if repo_conds:
        shown = ", ".join(f"{_claim(c)} '{v}'" for c in repo_conds for v in _unpinned(c))
        return f"({shown or 'negated ' + _claim(repo_conds[0]) + ' condition'})"
    checked = sorted({_claim(c) for c in github})
    only = f"; only {', '.join(checked)} {'is' if len(checked) == 1 else 'are'} checked" if checked else ""
    return f"(no condition on {GITHUB_HOST}:sub{only})"
