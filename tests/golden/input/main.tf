# The golden input: one of each kind of thing a report shows.

# Its owner tag is text from the file that reaches the inventory: it must not become a mention or a link.
resource "aws_iam_user" "ci" {
  name = "ci-deployer"
  tags = {
    Owner         = "@platform-team https://example.com/x"
    approved_by   = "bob"
    change_ticket = "CHG-1234"
  }
}

# A static key: never expires.
resource "aws_iam_access_key" "ci" {
  user = aws_iam_user.ci.name
}

# Nobody owns or approved it, and its policy allows everything.
resource "aws_iam_role" "ops" {
  name               = "ops"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy" "ops" {
  role   = aws_iam_role.ops.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}

# A waived key (inline waiver, valid until 2027-06-30).
resource "aws_iam_access_key" "waived" {
  # nhi-guard:ignore NHI_AWS_001 reason="rotated by the vault sync job" owner=team-platform expires=2027-06-30
  user = aws_iam_user.ci.name
}

# A literal secret: never printed.
resource "aws_secretsmanager_secret_version" "db" {
  secret_id     = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db"
  secret_string = "hunter2-but-longer-Zq8"
}
