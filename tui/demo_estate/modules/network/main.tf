variable "env" {
  type = string
}

resource "aws_vpc" "main" {
  cidr_block           = "10.40.0.0/16"
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags = {
    Name = "acme-main"
    Env  = var.env
  }
}

resource "aws_subnet" "private" {
  for_each          = { a = "10.40.1.0/24", b = "10.40.2.0/24" }
  vpc_id            = aws_vpc.main.id
  cidr_block        = each.value
  availability_zone = "us-east-1${each.key}"
  tags = {
    Name = "acme-private-${each.key}"
    Env  = var.env
  }
}

resource "aws_security_group" "web" {
  name        = "acme-web"
  description = "HTTPS from anywhere"
  vpc_id      = aws_vpc.main.id

  ingress {
    description = "HTTPS"
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Env = var.env
  }
}

resource "aws_security_group" "db" {
  name        = "acme-db"
  description = "Postgres from the web tier"
  vpc_id      = aws_vpc.main.id

  ingress {
    description     = "Postgres"
    protocol        = "tcp"
    from_port       = 5432
    to_port         = 5432
    security_groups = [aws_security_group.web.id]
  }

  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Env = var.env
  }
}
