locals {
  service = "worker"
  tier    = "batch"
  queue   = "jobs"
  retries = 3
}

# same type and name as in modules/app, on other lines: module.b must never point at modules/app
resource "aws_iam_role" "this" {
  name = local.service
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ecs-tasks.amazonaws.com" } }]
  })
}
