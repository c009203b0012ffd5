variable "name" {
  type = string
}

# a role without owner or approval: module.a and module.c["x.y"] both create one
resource "aws_iam_role" "this" {
  name = "app-${var.name}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

module "nested" {
  source = "../nested"
}
