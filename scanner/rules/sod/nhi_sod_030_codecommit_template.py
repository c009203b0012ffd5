from __future__ import annotations

from collections.abc import Iterable

from scanner.model.resource import Resource
from scanner.model.severity import Severity
from scanner.rules.base import Context, Violation
from scanner.rules.sod.codecommit import TEMPLATE, admitted, automation_roles, branches, content, statements
from scanner.rules.sod.gates import GateRule, production_hits, read_str, scope_label, shortfall


class CodeCommitTemplateSelfApproval(GateRule):
    """## What it does
    Flags an AWS CodeCommit approval rule template (`aws_codecommit_approval_rule_template`) for a
    production branch whose `content`:

    * needs fewer approvals than `approval_gates.min_approvals` (1 by default) in every statement
      (`NumberOfApprovalsNeeded = 0`), or
    * lets a pipeline's own role approve: every statement that needs approvals has an
      `ApprovalPoolMembers` entry matching a role of the same module that a pipeline runs as (trusted by
      CodeBuild, CodePipeline, CodeDeploy or Lambda, federated through OIDC for CI, or named as an
      `aws_codepipeline`'s `role_arn` or an `aws_codebuild_project`'s `service_role`). Wildcards count:
      `arn:aws:sts::123456789012:assumed-role/*` admits every role.

    Templates without `DestinationReferences` apply to every branch. Content known only at apply, and
    statements without an approval pool, are not judged.

    ## Why is this bad?
    A template that needs no approval is no gate. One whose approvers include the role the pipeline
    assumes lets the automation that builds and merges a change approve it too: requester, approver and
    provisioner are one principal.

    ## Example
    The pool admits every assumed role, the CodeBuild role included:
    ```hcl
    resource "aws_iam_role" "build" {
      name = "app-build"
      assume_role_policy = jsonencode({
        Version = "2012-10-17"
        Statement = [
          { Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "codebuild.amazonaws.com" } },
        ]
      })
    }

    resource "aws_codecommit_approval_rule_template" "main" {
      name = "main-approvals"
      content = jsonencode({
        Version               = "2018-11-08"
        DestinationReferences = ["refs/heads/main"]
        Statements = [{
          Type                    = "Approvers"
          NumberOfApprovalsNeeded = 1
          ApprovalPoolMembers     = ["arn:aws:sts::123456789012:assumed-role/*"]
        }]
      })
    }
    ```

    ## Use instead
    Admit only the reviewers' role:
    ```hcl
    resource "aws_codecommit_approval_rule_template" "main" {
      name = "main-approvals"
      content = jsonencode({
        Version = "2018-11-08"
        Statements = [{
          Type                    = "Approvers"
          ApprovalPoolMembers     = ["arn:aws:sts::123456789012:assumed-role/CodeReviewers/*"]
          NumberOfApprovalsNeeded = 1
        }]
        DestinationReferences = ["refs/heads/main"]
      })
    }
    ```
    """

    id = "NHI_SOD_030"
    severity = Severity.HIGH
    title = "CodeCommit approval template needs no approval, or the pipeline's role approves"
    fix = (
        "Require at least one approval from a pool of people (`ApprovalPoolMembers` naming a reviewers' "
        "role or users), never the role the pipeline runs as."
    )
    resource_types = (TEMPLATE,)
    cross_resource = True  # the pipeline roles are other resources of the module

    def check(self, res: Resource, ctx: Context) -> Iterable[Violation]:
        doc = content(res)
        if doc is None:
            return
        refs, stmts = branches(doc), statements(doc)
        if refs is None or stmts is None:
            return
        entries = production_hits(refs, (), ctx.config.approval_gates, set())
        if not entries:
            return
        name = read_str(res.get("name")) or res.address
        where = scope_label(refs, entries)
        wanted = ctx.config.approval_gates.min_approvals
        counts = [s.approvals for s in stmts if s.approvals is not None]
        most = max(counts, default=0)
        if len(counts) == len(stmts) and most < wanted:
            yield Violation(
                f"{res.address} (template `{name}`) needs {most} approval(s) on {where} "
                "(NumberOfApprovalsNeeded)"
                + shortfall(most, wanted, "pull requests merge with no one's approval"),
                path="content",
                key="approvals",
            )
            return
        gating = [s for s in stmts if s.approvals]
        roles = automation_roles(res, ctx)
        if not gating or not roles or any(s.pool is None for s in gating):
            return
        admitted_roles: list[str] = []
        for stmt in gating:
            hits = [r for r in roles if any(admitted(m, r) for m in stmt.pool or ())]
            if not hits:
                return
            admitted_roles.extend(h for h in hits if h not in admitted_roles)
        yield Violation(
            f"{res.address} (template `{name}`) on {where} admits the pipeline's own role to its approval pool "
            f"({'; '.join(f'{roles[r][0].address}, {roles[r][1]}' for r in admitted_roles)}): the automation "
            "that merges a change approves it",
            path="content",
            key="pipeline-approves",
            related=[(roles[r][0], f"a pipeline role the pool admits, {roles[r][1]}") for r in admitted_roles],
        )
