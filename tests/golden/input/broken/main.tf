resource "aws_iam_user" "half" {
  name = "half
