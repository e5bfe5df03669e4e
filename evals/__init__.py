"""evals: the gold Q&A evaluation, baselines side by side, and the performance bench."""
