"""The GitHub Action's logic (``action.yml`` runs ``python -m scanner.integrations.action``).

* :mod:`scanner.integrations.action.context`: inputs and the run's ``GITHUB_*`` environment and event;
* :mod:`scanner.integrations.action.commands`: workflow commands (annotations, groups) and step outputs;
* :mod:`scanner.integrations.action.summary`: the job summary and the pull request comment (Markdown);
* :mod:`scanner.integrations.action.github_api`: the sticky pull request comment over the REST API (urllib);
* :mod:`scanner.integrations.action.run`: the steps, in order: scan, baseline, outputs, comment, summary.
"""
