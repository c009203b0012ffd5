# Root module of the source-map fixture: plan.json next to infra/ is `terraform show -json` of it.

resource "aws_iam_user" "ci" {
  name = "ci"
  tags = { owner = "team-platform", approved_by = "bob", ticket = "CHG-1" }
}

resource "aws_iam_access_key" "ci" {
  count = 2
  user  = aws_iam_user.ci.name
}

module "a" {
  source = "./modules/app"
  name   = "a"
}

module "b" {
  source = "./modules/worker"
}

module "c" {
  for_each = toset(["x.y"])
  source   = "./modules/app"
  name     = each.key
}

module "remote" {
  source  = "terraform-aws-modules/iam/aws//modules/iam-user"
  version = "5.39.0"
  name    = "remote"
}
