variable "region" {
  description = "Where the payments data lives (the gate allows eu-central-1 and eu-west-1)"
  type        = string
  default     = "eu-central-1"
}
