"""Separation of duties as code (NHI_SOD_*): approval gates that let the requester, a bot or the provisioner approve.

Shared logic lives in the helper modules of this package: :mod:`.gates` (three-valued reads with the
providers' defaults, production branches and environments, "same repository" across resources),
:mod:`.github` (branch protections, rulesets, automations that push), :mod:`.codecommit` (approval rule
templates and pipeline roles) and :mod:`.weakening` (what a plan update turns off or lowers).
"""
