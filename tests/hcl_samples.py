"""HCL texts shared by the HCL tests (tests/hcl) and the plan tests (tests/remediation)."""

# Braces and block keywords inside strings, templates, heredocs and all three comment styles.
TRICKY = r'''
/* a block comment with { braces and "quotes"
   resource "aws_s3_bucket" "fake" { */
locals {
  brace_string = "}{ ${jsonencode({a = "}"})} }"
  script       = <<-EOT
    resource "aws_s3_bucket" "in_heredoc" {
    }}}
  EOT
}

// resource "aws_s3_bucket" "commented" {
resource "aws_s3_bucket" "real" { # trailing { comment
  bucket = "b-${"}"}"
  tags = {
    "a.b/c" = "x" // quoted key
  }
}
'''
