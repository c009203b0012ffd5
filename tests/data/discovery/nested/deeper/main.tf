resource "aws_iam_user" "orphan" {
  name = "orphan"
}

resource "aws_iam_access_key" "orphan" {
  user = aws_iam_user.orphan.name
}
