resource "aws_iam_user" "ci" {
  name = "ci"
  tags = { owner = "team-platform", requested_by = "alice", approved_by = "bob", change_ticket = "CHG-1" }
}

resource "aws_iam_access_key" "vendor_a" {
  user = aws_iam_user.ci.name
}

resource "aws_iam_access_key" "vendor_b" {
  user = aws_iam_user.ci.name
}
