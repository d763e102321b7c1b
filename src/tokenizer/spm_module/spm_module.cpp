// placeholder until the tokenizer engineer writes the module
