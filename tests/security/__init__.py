"""The security checklist, one test module per row of docs/security.md ("security.md N" in a
docstring or comment anywhere in the repo means row N of that file)."""
