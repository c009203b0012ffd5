from __future__ import annotations

from collections.abc import Iterable

from scanner.iam.github_claims import GITHUB_HOST, claim_value_pinned, owner_pinned
from scanner.iam.policy_grammar import Condition, Statement
from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.aws.oidc import WebIdentityTrustRule, federated, lists_values, provider_names, wildcards
from scanner.rules.base import Context, Problem

#: Claims that can tie a token to one repository (or one reusable workflow's repository).
REPO_CLAIMS = ("sub", "repository", "repository_id", "job_workflow_ref")


def _claim(cond: Condition) -> str:
    return cond.key.partition(":")[2].lower()


def _unpinned(cond: Condition) -> list[object]:
    """The values of a repository condition that admit more than one repository."""
    return [v for v in cond.values if not claim_value_pinned(_claim(cond), v, wildcards(cond))]


def _pins_repo(cond: Condition) -> bool:
    return lists_values(cond) and not _unpinned(cond)


def _is_github(stmt: Statement, res: Resource, ctx: Context) -> bool:
    if any(GITHUB_HOST in p.lower() for p in federated(stmt)) or stmt.conditions_with_prefix(GITHUB_HOST + ":"):
        return True
    # `identifiers = [aws_iam_openid_connect_provider.github.arn]`: ask the provider.
    providers = provider_names(stmt, res, ctx)
    return bool(providers) and all(any(GITHUB_HOST in name.lower() for name in names) for names in providers)


class GithubOidcAnyRepo(WebIdentityTrustRule):
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
    A role for GitHub Actions that checks only the token's audience:
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

    resource "aws_iam_role" "deploy" {
      name               = "github-deploy"
      assume_role_policy = data.aws_iam_policy_document.github.json
    }
    ```

    ## Use instead
    Tie the token to one repository (here, its main branch) with `sub`:
    ```hcl
    resource "aws_iam_role" "deploy" {
      assume_role_policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Action    = "sts:AssumeRoleWithWebIdentity"
          Effect    = "Allow"
          Principal = { Federated = aws_iam_openid_connect_provider.github.arn }
          Condition = {
            StringEquals = {
              "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
              "token.actions.githubusercontent.com:sub" = "repo:acme/app:ref:refs/heads/main"
            }
          }
        }]
      })
    }
    ```
    `repo:acme/app:environment:production` ties it to one environment of the repository instead.
    """

    id = "NHI_AWS_022"
    severity = Severity.CRITICAL
    title = "GitHub Actions OIDC role not limited to one repository"
    fix = "Add a token.actions.githubusercontent.com:sub condition pinned to one repository (repo:OWNER/NAME:...)."

    def problems(self, res: Resource, stmt: Statement, ctx: Context) -> Iterable[Problem]:
        if stmt.conditions_unknown or not _is_github(stmt, res, ctx):
            return
        github = stmt.conditions_with_prefix(GITHUB_HOST + ":")
        repo_conds = [c for c in github if _claim(c) in REPO_CLAIMS]
        if any(_pins_repo(c) for c in repo_conds):
            return
        unpinned = [(c, v) for c in repo_conds for v in _unpinned(c)]
        one_owner = all(owner_pinned(_claim(c), v, wildcards(c)) for c, v in unpinned)
        scope = "more than one" if unpinned and one_owner else "any"
        yield Problem(
            f"trusts {scope} GitHub repository {_why(repo_conds, github)} in {stmt.label} of its trust policy"
        )


def _why(repo_conds: list[Condition], github: list[Condition]) -> str:
    if repo_conds:
        shown = ", ".join(f"{_claim(c)} '{v}'" for c in repo_conds for v in _unpinned(c))
        return f"({shown or 'negated ' + _claim(repo_conds[0]) + ' condition'})"
    checked = sorted({_claim(c) for c in github})
    only = f"; only {', '.join(checked)} {'is' if len(checked) == 1 else 'are'} checked" if checked else ""
    return f"(no condition on {GITHUB_HOST}:sub{only})"
