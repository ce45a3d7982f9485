variable "env" {
  type = string
}

resource "aws_sqs_queue" "orders_dlq" {
  name                      = "acme-orders-dlq"
  message_retention_seconds = 1209600
  tags = {
    Env = var.env
  }
}

resource "aws_sqs_queue" "orders" {
  name                       = "acme-orders"
  visibility_timeout_seconds = 60
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.orders_dlq.arn
    maxReceiveCount     = 5
  })
  tags = {
    Env = var.env
  }
}

resource "aws_sqs_queue" "reports" {
  name = "acme-reports"
  tags = {
    Env = var.env
  }
}

resource "aws_sns_topic" "alerts" {
  name = "acme-alerts"
  tags = {
    Env = var.env
  }
}
