# acme demo estate: what `driftdeck demo` provisions in its local AWS emulator.
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

locals {
  env = "prod"
}

resource "aws_s3_bucket" "logs" {
  bucket = "acme-demo-logs"
  tags = {
    Env   = local.env
    Owner = "platform"
  }
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket                  = aws_s3_bucket.logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket" "assets" {
  bucket = "acme-demo-assets"
  tags = {
    Env   = local.env
    Owner = "web"
  }
}

resource "aws_s3_bucket_policy" "assets" {
  bucket = aws_s3_bucket.assets.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::acme-demo-assets", "arn:aws:s3:::acme-demo-assets/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_s3_bucket" "backups" {
  bucket = "acme-demo-backups"
  tags = {
    Env   = local.env
    Owner = "platform"
  }
}

resource "aws_s3_bucket_versioning" "backups" {
  bucket = aws_s3_bucket.backups.id
  versioning_configuration {
    status = "Enabled"
  }
}

module "network" {
  source = "./modules/network"
  env    = local.env
}

module "queues" {
  source = "./modules/queues"
  env    = local.env
}
