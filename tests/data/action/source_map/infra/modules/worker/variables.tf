variable "unused" {
  type    = string
  default = ""
}
