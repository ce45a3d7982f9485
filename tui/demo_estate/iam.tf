resource "aws_iam_role" "ci_deployer" {
  name = "ci-deployer"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codebuild.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = {
    Env = local.env
  }
}

resource "aws_iam_policy" "deploy" {
  name        = "acme-deploy"
  description = "What CI may change"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:PutObject", "s3:PutBucketTagging"]
      Resource = ["arn:aws:s3:::acme-demo-assets", "arn:aws:s3:::acme-demo-assets/*"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "ci_deploy" {
  role       = aws_iam_role.ci_deployer.name
  policy_arn = aws_iam_policy.deploy.arn
}

resource "aws_iam_user" "alice" {
  name = "alice"
  tags = {
    Team = "platform"
  }
}
