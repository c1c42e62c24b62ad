"""The topic: text normalisation (textnorm), the analyst-edited lexicon (lexicon), pure and
explainable matching (match), and the tools that evaluate and extend a topic (tools)."""
