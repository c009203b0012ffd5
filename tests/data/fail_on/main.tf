# Only medium and low findings: no owner, no approver (medium), no ticket (low).
resource "aws_iam_user" "orphan" {
  name = "orphan"
}
