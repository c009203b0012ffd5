resource "aws_iam_user" "vendor" {
  name = "vendor"
  tags = { owner = "team-a", requested_by = "alice", approved_by = "bob", change_ticket = "CHG-1" }
}

resource "aws_iam_access_key" "skipped" {
  #checkov:skip=NHI_AWS_001:vendor needs a key until OIDC lands
  user = aws_iam_user.vendor.name
}

resource "aws_iam_access_key" "reported" {
  user = aws_iam_user.vendor.name
}
