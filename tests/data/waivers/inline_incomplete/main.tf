resource "aws_iam_user" "ci" {
  name = "ci"
  tags = { owner = "team-platform", requested_by = "alice", approved_by = "bob", change_ticket = "CHG-1" }
}

resource "aws_iam_access_key" "ci" {
  # nhi-guard:ignore NHI_AWS_001 reason="legacy" expires=2099-01-01
  user = aws_iam_user.ci.name
}
