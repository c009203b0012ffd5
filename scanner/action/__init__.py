"""The GitHub Action's logic (``action.yml`` runs ``python -m scanner.action``).

* :mod:`scanner.action.context`: inputs and the run's ``GITHUB_*`` environment and event;
* :mod:`scanner.action.commands`: workflow commands (annotations, groups) and step outputs;
* :mod:`scanner.action.summary`: the job summary and the pull request comment (Markdown);
* :mod:`scanner.action.github_api`: the sticky pull request comment over the REST API (urllib);
* :mod:`scanner.action.run`: the steps, in order: scan, baseline, outputs, comment, summary.
"""
