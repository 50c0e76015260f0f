"""The evaluation set and runner: retrieval, citation, answer and abstention metrics."""
