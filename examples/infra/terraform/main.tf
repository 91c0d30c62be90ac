# The demo bank's statements bucket as Terraform configuration: the source of plan-fixed.json.
# plumb gate --config examples/infra/plumb-gate.yaml --infra examples/infra/terraform
provider "aws" {
  region = var.region
}

locals {
  tags = {
    "plumb:system"      = "payments"
    "plumb:environment" = "production"
  }
}

resource "aws_s3_bucket" "statements" {
  bucket = "smallbank-statements"
  tags   = merge(local.tags, { "plumb:data-classification" = "confidential" })
}

resource "aws_s3_bucket_versioning" "statements" {
  bucket = aws_s3_bucket.statements.id
  versioning_configuration {
    status = "Enabled"
  }
}

# Encryption configured from outside the bucket, linked to it by the reference.
resource "aws_s3_bucket_server_side_encryption_configuration" "statements" {
  bucket = aws_s3_bucket.statements.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
    bucket_key_enabled = true
  }
}
