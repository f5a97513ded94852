"""The toy world: the character tokenizer, the tiny GPT policy, the task generators."""
